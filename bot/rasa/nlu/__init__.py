"""The NLU components config.yml puts around DIET (Rasa's GraphComponent seam): homophone repair
and pinyin/topic features before it, entity normalisation, extra extractors and negation after it.
Their vocabularies come from the knowledge base and data/nlu/synonyms.yml (`vocab`)."""
