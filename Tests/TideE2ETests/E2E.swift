import Testing

/// Every end-to-end suite is nested here, so that the suites run one after another even when run
/// together (each starts a git daemon, a controller and 10 agents; in parallel they starve the machine).
@Suite(.serialized) enum E2E {}
