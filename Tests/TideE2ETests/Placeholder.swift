import Testing

@Test func TideE2ETestsModuleLoads() { #expect(Bool(true)) }
