"""Text utilities with no model or store: tokens and numbers, sentences, language detection,
named entities, question kinds."""
