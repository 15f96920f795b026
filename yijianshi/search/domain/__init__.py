"""Pure search logic: text normalisation, segmentation, synonyms and ranking. No Django, no database."""
