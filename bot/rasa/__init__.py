"""What plugs into Rasa 3.6 through its supported seams: the handoff policy, the tracker and lock
stores, the action endpoint from the environment, and guarded patches of Rasa internals
(`guards`, `speedups`: installed at start-up by `tracker_store.ConversationStore`, each only on
the Rasa version it was written for). The NLU components are `bot.rasa.nlu.normalizer*`."""
