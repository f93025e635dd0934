"""The event pipeline's adapters: stream -> bus forwarding, and the queue consumers' machinery."""
