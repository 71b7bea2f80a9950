extension FleetBundles {
    /// The bundles of one service, server by server: the fixed files hashed once, the canonical text up to
    /// the first templated file hashed once, and per server only its templated files rendered and hashed.
    struct ServiceBuild {
        let name: String
        let spec: ServiceSpec
        /// The fixed (not templated) files with their bytes, in `spec` order.
        let fixed: [(file: BundleFile, bytes: [UInt8])]
        /// The templated files with their source bytes.
        let templated: [(file: PlacedFile, source: [UInt8])]
        /// Every file sorted by target; templated files have no blob yet.
        let sortedTemplate: [BundleFile]
        /// Index in `sortedTemplate` of each templated file, with its index in `templated`.
        let slots: [(slot: Int, file: Int)]
        /// The slots alone (ascending): where each server's bundle has its own files.
        let slotPositions: [Int]
        let firstTemplated: Int
        let prefix: SHA256
        let trailer: String
        /// The one bundle of every server when nothing is templated.
        let shared: Bundle?
        /// Bundles by their templated blob ids, so that identical renderings share one value.
        var renderings: [[String]: Bundle] = [:]
        /// Unknown template variables already reported (position and name).
        var reported: Set<String> = []

        init(name: String, spec: ServiceSpec, config: FleetConfig, sortedPaths: [String]) {
            self.name = name
            self.spec = spec
            var fixed: [(file: BundleFile, bytes: [UInt8])] = []
            var templated: [(file: PlacedFile, source: [UInt8])] = []
            for file in FleetBundles.placedFiles(of: spec, in: config, sortedPaths: sortedPaths) {
                let bytes = config.files[file.path] ?? []
                if file.template {
                    templated.append((file, bytes))
                } else {
                    fixed.append((file.bundleFile(blob: SHA256.hex(bytes), size: bytes.count), bytes))
                }
            }
            self.fixed = fixed
            self.templated = templated
            trailer = Bundle.canonicalTrailer(reload: spec.reload, health: spec.health)
            if templated.isEmpty {
                shared = Bundle(service: name, files: fixed.map(\.file), reload: spec.reload, health: spec.health)
                sortedTemplate = []
                slots = []
                slotPositions = []
                firstTemplated = 0
                prefix = SHA256()
                return
            }
            shared = nil
            // Every server gets the same targets in the same order; only the templated files' blobs
            // differ. Sort once, hash the canonical text up to the first templated file once, and
            // continue from a copy of that hasher per distinct rendering.
            var layout = fixed.map { (file: $0.file, templated: Int?.none) }
            layout += templated.enumerated().map { (file: $1.file.bundleFile(blob: "", size: 0), templated: Int?.some($0)) }
            layout.sort { $0.file.target < $1.file.target }
            slots = layout.indices.compactMap { i in layout[i].templated.map { (slot: i, file: $0) } }
            slotPositions = slots.map(\.slot)
            firstTemplated = slots.first?.slot ?? layout.count
            var prefix = SHA256()
            prefix.update(Bundle.canonicalHeader(service: name))
            for i in 0..<firstTemplated { prefix.update(Bundle.canonicalLine(layout[i].file)) }
            self.prefix = prefix
            sortedTemplate = layout.map(\.file)
        }

        /// Stores the fixed files' blobs in `out`, counted as used once each by this service.
        func addFixedBlobs(to out: inout FleetBundles) {
            for (file, bytes) in fixed { out.addBlob(bytes, id: file.blob, service: name) }
        }

        /// The bundle of `server`, its rendered blobs stored in `out` and counted as used by this service.
        mutating func bundle(for server: Server, into out: inout FleetBundles) -> Bundle {
            if let shared { return shared }
            // Every server's bundle shares `sortedTemplate`; its rendered files are its own.
            var own: [BundleFile] = []
            own.reserveCapacity(slots.count)
            var key: [String] = []
            key.reserveCapacity(slots.count)
            for (slot, index) in slots {
                let (file, source) = templated[index]
                let (bytes, unknown) = Template.render(source, for: server)
                for variable in unknown {
                    let at = SourcePosition(file: file.path, line: variable.line, column: variable.column)
                    if reported.insert("\(at)\u{0}\(variable.name)").inserted {
                        out.diagnostics.append(
                            .error(at, "template variable ${\(variable.name)} has no value on server \(server.name)"))
                    }
                }
                let id = SHA256.hex(bytes)
                out.addBlob(bytes, id: id, service: name)
                key.append(id)
                var rendered = sortedTemplate[slot]
                rendered.blob = id
                rendered.size = bytes.count
                own.append(rendered)
            }
            if let bundle = renderings[key] { return bundle }
            let files = FileList(base: sortedTemplate, slots: slotPositions, own: own)
            var hasher = prefix
            for i in firstTemplated..<files.count { hasher.update(Bundle.canonicalLine(files[i])) }
            hasher.update(trailer)
            let bundle = Bundle(
                service: name, sortedFiles: files, reload: spec.reload, health: spec.health, id: hasher.finalize().hexString)
            renderings[key] = bundle
            return bundle
        }

        /// Gives back the rendered blobs `bundle` (of one server) counted for this service.
        func releaseRendered(_ bundle: Bundle, from out: inout FleetBundles) {
            for (slot, _) in slots where slot < bundle.files.count { out.releaseBlob(bundle.files[slot].blob, service: name) }
        }
    }
}
