extension ProcessWorld {
    /// Writes `forwards.yaml` with one forward, `web`, to service `web`'s `http` port on a free local port
    /// (the service of `ProcessEndToEndTests.scenario`), and returns its path.
    func writeWebManifest() throws -> String {
        try write("forwards.yaml", """
            apiVersion: berth/v1
            kind: Forwards
            forwards:
              - name: web
                service: web
                ports: [{local: 0, remote: http}]
            """)
    }
}
