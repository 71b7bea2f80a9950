import CYAML
import TideCore

/// Reads YAML text with libyaml into a `YAMLNode` tree that keeps positions, styles and tags.
///
/// Accepts a UTF-8 byte order mark and CRLF line ends. Tabs used for indentation, syntax errors and
/// more than one document are reported as diagnostics at their line and column.
public enum YAMLReader {
    /// Parses `bytes` of the file `file` (a repo-relative path used in positions). Returns the root
    /// node (nil for an empty document or on error) and the problems found.
    public static func parse(_ bytes: [UInt8], file: String) -> (root: YAMLNode?, diagnostics: [Diagnostic]) {
        var input = bytes
        // A UTF-8 byte order mark is not content; dropping it keeps columns of line 1 as people count them.
        if input.starts(with: [0xEF, 0xBB, 0xBF]) { input.removeFirst(3) }
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) != 0 else {
            return (nil, [.error(SourcePosition(file: file, line: 1, column: 1), "cannot initialise the YAML parser")])
        }
        defer { yaml_parser_delete(&parser) }
        return input.withUnsafeBufferPointer { buffer -> (YAMLNode?, [Diagnostic]) in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
            var builder = TreeBuilder(file: file)
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) != 0 else {
                    return (nil, [syntaxError(parser, bytes: input, file: file)])
                }
                defer { yaml_event_delete(&event) }
                if event.type == YAML_STREAM_END_EVENT { break }
                builder.handle(event)
                if let problem = builder.problem { return (nil, [problem]) }
            }
            return (builder.root, [])
        }
    }

    /// libyaml's message, unless a tab in a line's indentation explains the failure better.
    static func syntaxError(_ parser: yaml_parser_t, bytes: [UInt8], file: String) -> Diagnostic {
        if let tab = firstIndentationTab(bytes) {
            return .error(
                SourcePosition(file: file, line: tab.line, column: tab.column),
                "tab character used for indentation; YAML indents with spaces only")
        }
        let mark = parser.problem_mark
        var message = "YAML syntax error"
        if let problem = parser.problem { message += ": " + String(cString: problem) }
        if let context = parser.context { message += " " + String(cString: context) }
        if parser.context != nil, parser.context_mark.line != mark.line || parser.context_mark.column != mark.column {
            message += " (started at line \(parser.context_mark.line + 1), column \(parser.context_mark.column + 1))"
        }
        return .error(SourcePosition(file: file, line: Int(mark.line) + 1, column: Int(mark.column) + 1), message)
    }

    /// The first tab found in the leading whitespace of a non-empty, non-comment line.
    static func firstIndentationTab(_ bytes: [UInt8]) -> (line: Int, column: Int)? {
        var line = 1
        var column = 1
        var inIndent = true
        var tabAt: Int?
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\n"):
                line += 1
                column = 1
                inIndent = true
                tabAt = nil
                continue
            case UInt8(ascii: "\r"):
                break
            case UInt8(ascii: " ") where inIndent:
                break
            case UInt8(ascii: "\t") where inIndent:
                if tabAt == nil { tabAt = column }
            default:
                if inIndent, let tab = tabAt, byte != UInt8(ascii: "#") { return (line, tab) }
                inIndent = false
            }
            column += 1
        }
        return nil
    }
}

/// Turns libyaml's events into nodes; aliases are resolved to the anchored node.
private struct TreeBuilder {
    enum Frame {
        case sequence(start: SourcePosition, tag: String?, anchor: String?, items: [YAMLNode])
        case mapping(start: SourcePosition, tag: String?, anchor: String?, entries: [(YAMLNode, YAMLNode)], key: YAMLNode?)
    }

    let file: String
    var stack: [Frame] = []
    var anchors: [String: YAMLNode] = [:]
    var root: YAMLNode?
    var documents = 0
    var problem: Diagnostic?

    init(file: String) { self.file = file }

    func position(_ mark: yaml_mark_t) -> SourcePosition {
        SourcePosition(file: file, line: Int(mark.line) + 1, column: Int(mark.column) + 1)
    }

    static func text(_ pointer: UnsafeMutablePointer<yaml_char_t>?, length: Int? = nil) -> String? {
        guard let pointer else { return nil }
        if let length {
            return String(decoding: UnsafeBufferPointer(start: pointer, count: length), as: UTF8.self)
        }
        return String(cString: UnsafeRawPointer(pointer).assumingMemoryBound(to: CChar.self))
    }

    mutating func handle(_ event: yaml_event_t) {
        let at = position(event.start_mark)
        switch event.type {
        case YAML_DOCUMENT_START_EVENT:
            documents += 1
            if documents > 1 {
                problem = .error(at, "more than one YAML document (`---`) in this file; Tide reads exactly one")
            }
        case YAML_SCALAR_EVENT:
            let s = event.data.scalar
            let value = TreeBuilder.text(s.value, length: Int(s.length)) ?? ""
            let style: YAMLNode.Style
            switch s.style {
            case YAML_SINGLE_QUOTED_SCALAR_STYLE: style = .singleQuoted
            case YAML_DOUBLE_QUOTED_SCALAR_STYLE: style = .doubleQuoted
            case YAML_LITERAL_SCALAR_STYLE: style = .literal
            case YAML_FOLDED_SCALAR_STYLE: style = .folded
            default: style = .plain
            }
            let node = YAMLNode(.scalar(value, style), position: at, tag: TreeBuilder.text(s.tag))
            if let anchor = TreeBuilder.text(s.anchor) { anchors[anchor] = node }
            add(node)
        case YAML_ALIAS_EVENT:
            let name = TreeBuilder.text(event.data.alias.anchor) ?? ""
            guard var node = anchors[name] else {
                problem = .error(at, "unknown alias *\(name)")
                return
            }
            node.position = at
            add(node)
        case YAML_SEQUENCE_START_EVENT:
            let s = event.data.sequence_start
            stack.append(.sequence(start: at, tag: TreeBuilder.text(s.tag), anchor: TreeBuilder.text(s.anchor), items: []))
        case YAML_MAPPING_START_EVENT:
            let m = event.data.mapping_start
            stack.append(
                .mapping(start: at, tag: TreeBuilder.text(m.tag), anchor: TreeBuilder.text(m.anchor), entries: [], key: nil))
        case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
            guard let frame = stack.popLast() else { return }
            switch frame {
            case .sequence(let start, let tag, let anchor, let items):
                let node = YAMLNode(.sequence(items), position: start, tag: tag)
                if let anchor { anchors[anchor] = node }
                add(node)
            case .mapping(let start, let tag, let anchor, let entries, _):
                let node = YAMLNode(.mapping(entries.map { (key: $0.0, value: $0.1) }), position: start, tag: tag)
                if let anchor { anchors[anchor] = node }
                add(node)
            }
        default:
            break
        }
    }

    mutating func add(_ node: YAMLNode) {
        guard let top = stack.popLast() else {
            if root == nil { root = node }
            return
        }
        switch top {
        case .sequence(let start, let tag, let anchor, var items):
            items.append(node)
            stack.append(.sequence(start: start, tag: tag, anchor: anchor, items: items))
        case .mapping(let start, let tag, let anchor, var entries, let key):
            if let key {
                entries.append((key, node))
                stack.append(.mapping(start: start, tag: tag, anchor: anchor, entries: entries, key: nil))
            } else {
                stack.append(.mapping(start: start, tag: tag, anchor: anchor, entries: entries, key: node))
            }
        }
    }
}
