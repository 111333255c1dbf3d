// Watching module.
