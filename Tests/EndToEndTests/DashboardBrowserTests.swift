import BerthTestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The dashboard in a real browser: `berth up --ui` over ``ThreeForwards`` (a FakeKube process), the page in
/// headless Chromium (docs/dashboard.md). CI installs Debian's chromium (.ci/run); a skipped test fails CI.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct DashboardBrowserTests {
    /// Where the screenshot is kept after the run (beside the build products).
    static let artefacts = ProcessWorld.products + "/test-artefacts"

    @Test(.enabled(if: HeadlessChromium.executable != nil, "needs chromium (Debian's package, installed by .ci/run)"))
    func aDeletedPodShowsRebindingThenReadyWithoutAReload() async throws {
        let kubectl = try ReferenceClients.require("kubectl")
        try await ThreeForwards.with(upArguments: ["--ui", "0"]) { world, berth in
            let (up, ready) = (berth.up, berth.ready)
            let pod = try #require(ready.pod("web"))
            let url = try await Self.dashboardURL(printedBy: up)
            #expect(url.hasPrefix("http://127.0.0.1:"), "loopback by default")
            // The state file (written before the URL is printed) carries the URL and the token, mode 0600.
            let runtime = world.directory + "/run/berth"
            let stateName = try #require(try FileManager.default.contentsOfDirectory(atPath: runtime).first { $0.hasSuffix(".state.json") })
            let statePath = runtime + "/" + stateName
            let state = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: statePath))) as? [String: Any]
            let dashboard = try #require(state?["dashboard"] as? [String: Any])
            #expect("\(dashboard["url"] ?? "")?token=\(dashboard["token"] ?? "")" == url)
            #expect((dashboard["token"] as? String)?.count == 64, "256 bits")
            let mode = try FileManager.default.attributesOfItem(atPath: statePath)[.posixPermissions] as? Int
            #expect(mode == 0o600)

            let browser = try HeadlessChromium.launch(in: world.directory)
            defer { browser.stop() }
            let page = try await browser.open(url)
            // Resolves once the event stream has filled the table with web Ready.
            let first = try await browser.evaluate(Self.whenRow("web", is: "Ready"), session: page)
            #expect(first == "\"Ready\"", "chromium log:\n\(browser.log())")

            // From now on every phase the row takes is recorded, in this document only: a reload would lose
            // both the record and the marker.
            _ = try await browser.evaluate(Self.recordPhases, session: page)
            let deleted = try await world.run([kubectl, "--kubeconfig", world.kubeconfig, "delete", "pod", pod, "--wait=false"])
            #expect(deleted.status == 0, "kubectl: \(deleted.stdout)\(deleted.stderr)")

            let phases = try await browser.evaluate(Self.whenRebindingThenReady, session: page)
            #expect(phases.contains("\"Rebinding\""), "the row showed Rebinding: \(phases)")
            #expect(phases.hasSuffix("\"Ready\"]"), "and then Ready: \(phases)")
            #expect(try await browser.evaluate("window.berthTestMarker", session: page) == "\"same document\"", "no reload")
            let newPod = try await browser.evaluate("document.querySelector('tr[data-forward=web] td.col-pod').firstChild.textContent", session: page)
            #expect(newPod != "\"\(pod)\"", "the row shows the replacement pod")
            let events = try await browser.evaluate("[...document.querySelectorAll('#events li')].map(li => li.dataset.kind)", session: page)
            #expect(events.hasPrefix("[\"ready\",\"rebind\""), "the events list, newest first: \(events)")
            let link = try await browser.evaluate("document.querySelector('tr[data-forward=web] td.col-local a')?.href ?? null", session: page)
            #expect(link.hasPrefix("\"http://127.0.0.1:"), "web's port is named http: a link")
            #expect(try await browser.evaluate("document.querySelector('tr[data-forward=db] td.col-local a')", session: page) == "null", "5432 named pg: no link")

            let png = try await browser.screenshot(session: page)
            try FileManager.default.createDirectory(atPath: Self.artefacts, withIntermediateDirectories: true)
            try png.write(to: URL(fileURLWithPath: Self.artefacts + "/dashboard-after-rebind.png"))
            Attachment.record(png, named: "dashboard-after-rebind.png")
            #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]), "a PNG")

            // The dashboard stops with the daemon, its event stream to the page open or not.
            up.signal(SIGTERM)
            #expect(await up.wait() == 0, "berth up log:\n\(up.log())")
            #expect(try await browser.evaluate(Self.whenDisconnected, session: page) == "\"reconnecting…\"")
        }
    }

    /// The URL with the token that `berth up` prints on stderr once the dashboard listens (a log file between
    /// processes: read until the line is there).
    static func dashboardURL(printedBy up: Spawned) async throws -> String {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if let line = up.log().split(separator: "\n").first(where: { $0.hasPrefix("dashboard: ") }) {
                return String(line.dropFirst("dashboard: ".count))
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ProcessWorld.Failure(description: "berth up printed no dashboard URL; log:\n\(up.log())")
    }

    /// A promise of the phase of `name`'s row, resolved once it is `phase`.
    static func whenRow(_ name: String, is phase: String) -> String {
        """
        new Promise(resolve => {
          const check = () => {
            const row = document.querySelector('tr[data-forward="\(name)"]');
            if (row && row.dataset.phase === '\(phase)') { observer.disconnect(); resolve(row.dataset.phase); }
          };
          const observer = new MutationObserver(check);
          observer.observe(document, { subtree: true, childList: true, attributes: true });
          check();
        })
        """
    }

    /// A promise of the connection badge's text, resolved once the page has lost its event stream.
    static let whenDisconnected = """
        new Promise(resolve => {
          const badge = document.getElementById('connection');
          const check = () => { if (badge.classList.contains('down')) { resolve(badge.textContent); return true; } return false; };
          if (check()) return;
          const observer = new MutationObserver(() => { if (check()) observer.disconnect(); });
          observer.observe(badge, { attributes: true, childList: true, characterData: true, subtree: true });
        })
        """

    /// Records every phase web's row takes, and marks the document.
    static let recordPhases = """
        (() => {
          window.berthTestMarker = 'same document';
          window.berthTestPhases = [];
          const row = document.querySelector('tr[data-forward="web"]');
          new MutationObserver(() => window.berthTestPhases.push(row.dataset.phase))
            .observe(row, { attributes: true, attributeFilter: ['data-phase'] });
          return true;
        })()
        """

    /// A promise of the recorded phases, resolved once the row showed Rebinding and then Ready.
    static let whenRebindingThenReady = """
        new Promise(resolve => {
          const check = () => {
            const phases = window.berthTestPhases;
            const rebinding = phases.indexOf('Rebinding');
            if (rebinding >= 0 && phases.slice(rebinding).includes('Ready')) { resolve(phases); return true; }
            return false;
          };
          if (check()) return;
          const row = document.querySelector('tr[data-forward="web"]');
          const observer = new MutationObserver(() => { if (check()) observer.disconnect(); });
          observer.observe(row, { attributes: true, attributeFilter: ['data-phase'] });
        })
        """
}
