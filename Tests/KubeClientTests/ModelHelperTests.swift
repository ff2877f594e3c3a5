import Foundation
import KubeAPI
import NIOCore
import Testing

@testable import KubeClient

@Suite struct ModelHelperTests {
    @Test func podReadiness() {
        var pod = Pod(metadata: ObjectMeta(name: "p"), status: PodStatus(phase: "Running", conditions: [Condition(type: "Ready", status: "True")]))
        #expect(pod.isReady && pod.isRunning && pod.isServing)
        pod.status?.conditions = [Condition(type: "Ready", status: "False"), Condition(type: "ContainersReady", status: "True")]
        #expect(!pod.isReady && !pod.isServing)
        pod.status?.conditions = [Condition(type: "Ready", status: "True")]
        pod.metadata.deletionTimestamp = "2026-01-01T00:00:00Z"
        #expect(pod.isReady && !pod.isServing)
        pod.status?.podIP = "10.0.0.1"
        pod.status?.podIPs = [PodIP(ip: "10.0.0.1"), PodIP(ip: "fd00::1")]
        #expect(pod.ips == ["10.0.0.1", "fd00::1"])
    }

    @Test func namedPortsSearchInitContainersToo() {
        let pod = Pod(metadata: ObjectMeta(name: "p"), spec: PodSpec(
            containers: [Container(name: "app", ports: [ContainerPort(name: "http", containerPort: 8080)])],
            initContainers: [Container(name: "sidecar", ports: [ContainerPort(name: "metrics", containerPort: 9090, protocol: "TCP")], restartPolicy: "Always")]))
        #expect(pod.containerPort(named: "http") == 8080)
        #expect(pod.containerPort(named: "metrics", protocol: "TCP") == 9090)
        #expect(pod.containerPort(named: "http", protocol: "UDP") == nil)
        #expect(pod.containerPort(named: "nope") == nil)
    }

    @Test func intOrStringRoundTrips() throws {
        let decoded = try JSONDecoder().decode([IntOrString].self, from: Data(#"[8080, "http"]"#.utf8))
        #expect(decoded == [.int(8080), .string("http")])
        #expect(String(decoding: try JSONEncoder().encode(decoded), as: UTF8.self) == #"[8080,"http"]"#)
        #expect(ServicePort(port: 80).effectiveTargetPort == .int(80))
        #expect(ServicePort(port: 80, targetPort: .int(0)).effectiveTargetPort == .int(80))
        #expect(ServicePort(port: 80, targetPort: .string("web")).effectiveTargetPort == .string("web"))
    }

    @Test func labelSelectorQueryAndMatching() {
        let selector = LabelSelector(
            matchLabels: ["tier": "web", "app": "shop"],
            matchExpressions: [
                LabelSelectorRequirement(key: "env", operator: "In", values: ["prod", "canary"]),
                LabelSelectorRequirement(key: "legacy", operator: "DoesNotExist"),
                LabelSelectorRequirement(key: "zone", operator: "NotIn", values: ["b"]),
                LabelSelectorRequirement(key: "owner", operator: "Exists"),
            ])
        #expect(selector.queryValue == "app=shop,tier=web,env in (canary,prod),!legacy,zone notin (b),owner")
        #expect(selector.matches(["app": "shop", "tier": "web", "env": "prod", "owner": "x"]))
        #expect(!selector.matches(["app": "shop", "tier": "web", "env": "prod", "owner": "x", "legacy": "1"]))
        #expect(!selector.matches(["app": "shop", "tier": "web", "env": "dev", "owner": "x"]))
        #expect(!selector.matches(["app": "shop", "tier": "web", "env": "prod", "owner": "x", "zone": "b"]))
        #expect(!LabelSelector(matchExpressions: [LabelSelectorRequirement(key: "a", operator: "Typo")]).matches(["a": "1"]))
        #expect(["b": "2", "a": "1"].labelSelectorQueryValue == "a=1,b=2")
    }

    @Test func queryStringsAreStrictlyEncoded() {
        #expect(QueryString.encode([("labelSelector", "app=web,env in (a b)"), ("continue", "abc+/=")])
            == "labelSelector=app%3Dweb%2Cenv%20in%20%28a%20b%29&continue=abc%2B%2F%3D")
        #expect(QueryString.escape("ü~._-") == "%C3%BC~._-")
        let list = ListOptions(labelSelector: "a=b", limit: 500, continueToken: "t", resourceVersion: "0", resourceVersionMatch: "NotOlderThan")
        #expect(QueryString.encode(list.queryItems) == "labelSelector=a%3Db&limit=500&continue=t&resourceVersion=0&resourceVersionMatch=NotOlderThan")
        let watch = WatchOptions(fieldSelector: "metadata.name=x", resourceVersion: "42", timeoutSeconds: 300)
        #expect(QueryString.encode(watch.queryItems) == "watch=true&fieldSelector=metadata.name%3Dx&resourceVersion=42&allowWatchBookmarks=true&timeoutSeconds=300")
    }

    @Test func errorDescriptionsNameTheStep() {
        let error = KubeClientError.api(status: Status(message: "pods \"x\" is forbidden", reason: "Forbidden", code: 403), request: "GET /api/v1/namespaces/a/pods/x", retryAfterSeconds: nil)
        #expect("\(error)" == "GET /api/v1/namespaces/a/pods/x: 403 Forbidden: pods \"x\" is forbidden")
        #expect("\(KubeClientError.kubeconfig(file: "/k", entry: "user \"u\"", field: "token", message: "m"))" == "kubeconfig /k: user \"u\": field token: m")
    }
}
