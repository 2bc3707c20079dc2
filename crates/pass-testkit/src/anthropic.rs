//! Stand-in for the anthropic API (to be written).
