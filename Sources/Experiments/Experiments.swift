// Experiments module.
