//! Stand-in for the github API (to be written).
