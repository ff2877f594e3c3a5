import BerthManifest
import Testing

/// kubectl's target words, read by the one parser `berth forward` and `berth import kubectl` share.
@Suite struct TargetSyntaxTests {
    @Test(arguments: [
        ("svc/web", ForwardTarget.service("web")), ("Service/web", .service("web")), ("services/web", .service("web")),
        ("po/web-0", .pod("web-0")), ("pod/web-0", .pod("web-0")), ("pods/web-0", .pod("web-0")), ("web-0", .pod("web-0")),
        ("deploy/api", .deployment("api")), ("deployment.apps/api", .deployment("api")),
        ("deployments.v1.apps/api", .deployment("api")), ("Deployment.v1beta2.apps/api", .deployment("api")),
        ("sts/db", .statefulSet("db")), ("statefulset.apps/db", .statefulSet("db")), ("statefulsets/db", .statefulSet("db")),
    ])
    func kubectlsSpellingsOfATarget(text: String, target: ForwardTarget) {
        #expect(TargetSyntax.target(text) == .success(target))
    }

    @Test(arguments: [
        ("rs/legacy", "target rs/legacy: berth forwards to services, pods, deployments and statefulsets, not rs"),
        ("replicaset.apps/x", "target replicaset.apps/x: berth forwards to services, pods, deployments and statefulsets, not replicaset.apps"),
        ("deployment.extensions/api", "target deployment.extensions/api: deployments are in group apps, not extensions"),
        ("sts.v1.batch/db", "target sts.v1.batch/db: statefulsets are in group apps, not v1.batch"),
        ("deploy.vNext.apps/api", "target deploy.vNext.apps/api: deployments are in group apps, not vnext.apps"),
        ("deploy.v1gamma1.apps/api", "target deploy.v1gamma1.apps/api: deployments are in group apps, not v1gamma1.apps"),
        ("svc.apps/web", "target svc.apps/web: services are in the core group, not apps"),
        ("svc/", "target svc/: no name after the /; write TYPE/NAME, e.g. svc/web"),
        ("/web", "target /web: no type before the /; write TYPE/NAME, e.g. svc/web"),
        ("", "no target given; write TYPE/NAME, e.g. svc/web"),
    ])
    func aWordThatNamesNoTargetBerthForwardsToSaysWhy(text: String, message: String) {
        guard case .failure(let failure) = TargetSyntax.target(text) else {
            Issue.record("\(text) was accepted")
            return
        }
        #expect(failure.message == message)
    }
}

/// kubectl's port words: the manifest's syntax without `/PROTOCOL`, and a lone port name is any free local port.
@Suite struct KubectlPortSyntaxTests {
    @Test(arguments: [
        ("8080:80", PortMapping(local: 8080, remote: .number(80))), ("5432", PortMapping(local: 5432, remote: .number(5432))),
        (":80", PortMapping(local: 0, remote: .number(80))), (":http", PortMapping(local: 0, remote: .name("http"))),
        ("http", PortMapping(local: 0, remote: .name("http"))), ("9090:metrics", PortMapping(local: 9090, remote: .name("metrics"))),
    ])
    func kubectlsPortWords(text: String, mapping: PortMapping) {
        #expect(PortSyntax.mapping(text, .kubectl) == .success(mapping))
    }

    @Test(arguments: [
        ("8080:80/tcp", "kubectl port-forward takes no /tcp or /udp suffix (it carries tcp only)"),
        ("53/udp", "kubectl port-forward takes no /tcp or /udp suffix (it carries tcp only)"),
        ("70000:80", "local port 70000 is out of range 0-65535 (0 picks a free port)"),
        ("99999", "remote port 99999 is out of range 1-65535"),
        ("8080:", "no remote port given; write LOCAL:REMOTE, e.g. 8080:80"),
        ("1:2:3", "'1:2:3' is not a port mapping; write LOCAL:REMOTE, e.g. 8080:80 or 8080:http"),
    ])
    func aKubectlPortWordBerthCannotReadSaysWhy(text: String, message: String) {
        guard case .failure(let failure) = PortSyntax.mapping(text, .kubectl) else {
            Issue.record("\(text) was accepted")
            return
        }
        #expect(failure.message == message)
    }

    /// The two differences are kubectl's alone: berth's own words keep `/udp` and refuse a lone name.
    @Test func berthsOwnWordsKeepTheirProtocolAndNeedALocalPort() {
        #expect(PortSyntax.mapping("53/udp") == .success(PortMapping(local: 53, remote: .number(53), protocol: .udp)))
        guard case .failure(let failure) = PortSyntax.mapping("http") else {
            Issue.record("a lone port name was accepted")
            return
        }
        #expect(failure.message.hasPrefix("'http' needs a local port"))
    }
}
