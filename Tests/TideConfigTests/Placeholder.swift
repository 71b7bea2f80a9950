import Testing

@Test func TideConfigTestsModuleLoads() { #expect(Bool(true)) }
