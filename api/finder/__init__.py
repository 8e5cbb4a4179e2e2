"""The public service finder at /trova/: server-rendered, multilingual, accessible pages."""
