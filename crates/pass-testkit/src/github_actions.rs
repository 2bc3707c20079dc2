//! Stand-in for GitHub Actions workflow dispatch and workflow runs (to be written).
