"""The data model: every table the app stores, importable from one place."""

from app.models.account import (
    MAIL_KINDS,
    AuditAction,
    AuditEntry,
    MailChoice,
    MailSettings,
    OutboxMessage,
    OutboxStatus,
)
from app.models.annotation import Annotation, AnnotationKind, AnnotationStatus, Visibility
from app.models.article import Article, ArticleRevision, Block, BlockKind
from app.models.feedback import Feedback
from app.models.flag import Flag, FlagReason
from app.models.group import Group, GroupRole, Membership, MembershipStatus, Premoderation, Reading
from app.models.helpful import HelpfulMark
from app.models.moderation import ModerationAction
from app.models.notification import Notification, NotificationKind
from app.models.request_key import RequestKey
from app.models.session import FailedSignin, UserSession
from app.models.user import ApiToken, Role, User

__all__ = [
    "MAIL_KINDS",
    "Annotation",
    "AnnotationKind",
    "AnnotationStatus",
    "ApiToken",
    "Article",
    "ArticleRevision",
    "AuditAction",
    "AuditEntry",
    "Block",
    "BlockKind",
    "FailedSignin",
    "Feedback",
    "Flag",
    "FlagReason",
    "Group",
    "GroupRole",
    "HelpfulMark",
    "MailChoice",
    "MailSettings",
    "Membership",
    "MembershipStatus",
    "ModerationAction",
    "Notification",
    "NotificationKind",
    "OutboxMessage",
    "OutboxStatus",
    "Premoderation",
    "Reading",
    "RequestKey",
    "Role",
    "User",
    "UserSession",
    "Visibility",
]
