"""政策库: policy knowledge base, condition language and matcher. No Rasa imports here."""
