"""The E4T engine: encoder, weight offsets, domain tuning, personalization, generation."""
