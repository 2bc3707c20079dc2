//! Stand-in for the openai API (to be written).
