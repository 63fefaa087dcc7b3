"""Answering from retrieved passages: the chain, evidence selection, generators (chat models and
extractive), prompts, the support check, the refusal policy, citation numbering, source display."""
