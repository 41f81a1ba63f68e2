"""The data model: every table the app stores, importable from one place."""

from app.models.annotation import Annotation, AnnotationKind, AnnotationStatus, Visibility
from app.models.article import Article, ArticleRevision, Block, BlockKind
from app.models.group import (
    Feedback,
    Flag,
    FlagReason,
    Group,
    GroupRole,
    Membership,
    MembershipStatus,
    ModerationAction,
    Notification,
    NotificationKind,
    Premoderation,
    Reading,
)
from app.models.helpful import HelpfulMark
from app.models.user import ApiToken, Role, User

__all__ = [
    "Annotation",
    "AnnotationKind",
    "AnnotationStatus",
    "ApiToken",
    "Article",
    "ArticleRevision",
    "Block",
    "BlockKind",
    "Feedback",
    "Flag",
    "FlagReason",
    "Group",
    "GroupRole",
    "HelpfulMark",
    "Membership",
    "MembershipStatus",
    "ModerationAction",
    "Notification",
    "NotificationKind",
    "Premoderation",
    "Reading",
    "Role",
    "User",
    "Visibility",
]
