"""Shoppable posts: compose once, publish to many channels, each with its own tracked buy link."""
