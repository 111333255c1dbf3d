// StateStore module.
