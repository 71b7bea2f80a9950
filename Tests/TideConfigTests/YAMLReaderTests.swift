import Testing
import TideConfig
import TideCore

@Suite struct YAMLReaderTests {
    @Test func keepsPositionsStylesAndTags() throws {
        let text = "a: 0644\nb: \"0644\"\nc: !!str no\nlist:\n  - 'x'\n  - |\n    block\n"
        let (root, diagnostics) = YAMLReader.parse(Array(text.utf8), file: "t.yaml")
        #expect(diagnostics.isEmpty)
        guard case .mapping(let entries)? = root?.content else {
            Issue.record("not a mapping")
            return
        }
        #expect(entries.map { $0.key.scalar } == ["a", "b", "c", "list"])
        #expect(entries[0].value.style == .plain)
        #expect(entries[0].value.position == SourcePosition(file: "t.yaml", line: 1, column: 4))
        #expect(entries[1].value.style == .doubleQuoted)
        #expect(entries[2].value.tag == "tag:yaml.org,2002:str")
        guard case .sequence(let items) = entries[3].value.content else {
            Issue.record("not a list")
            return
        }
        #expect(items[0].style == .singleQuoted)
        #expect(items[1].style == .literal)
        #expect(items[1].scalar == "block\n")
        #expect(items[1].position == SourcePosition(file: "t.yaml", line: 6, column: 5))
    }

    @Test func aliasesResolveAndSecondDocumentIsRefused() {
        let (root, diagnostics) = YAMLReader.parse(Array("a: &x {k: v}\nb: *x\n".utf8), file: "t.yaml")
        #expect(diagnostics.isEmpty)
        if case .mapping(let entries)? = root?.content, case .mapping(let inner) = entries[1].value.content {
            #expect(inner.first?.value.scalar == "v")
        } else {
            Issue.record("alias not resolved")
        }
        let two = YAMLReader.parse(Array("a: 1\n---\nb: 2\n".utf8), file: "t.yaml")
        #expect(
            two.diagnostics.map(\.description) == [
                "t.yaml:2:1: error: more than one YAML document (`---`) in this file; Tide reads exactly one"
            ])
    }
}
