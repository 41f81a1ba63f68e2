"""Domain operations: plain `verb_noun` functions that flush and never commit."""
