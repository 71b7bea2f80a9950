import Testing

@Test func TideControllerTestsModuleLoads() { #expect(Bool(true)) }
