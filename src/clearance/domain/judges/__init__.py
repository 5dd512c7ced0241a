"""Judges decide, per response, whether the model refused and whether the content is unsafe.

Pure judges live here; judges that need a library or the network (keyword automaton, model
graded) live in ``clearance.adapters.judges`` and are assembled by name in
``clearance.services.judging``.
"""
