// Sequences module.
