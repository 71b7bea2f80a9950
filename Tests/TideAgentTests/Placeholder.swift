import Testing

@Test func TideAgentTestsModuleLoads() { #expect(Bool(true)) }
