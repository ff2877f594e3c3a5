import Foundation
import KubeAPI
import NIOCore
import Testing

@testable import KubeClient

/// Every upstream round-trip fixture (every field filled) decodes into berth's models.
@Suite struct ModelFixtureTests {
    func fixture(_ name: String) throws -> Data {
        let url = try #require(Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: "json"))
        return try Data(contentsOf: url)
    }

    func decode<T: Decodable>(_ type: T.Type, _ name: String) throws -> T {
        try JSONDecoder().decode(type, from: try fixture(name))
    }

    @Test func pod() throws {
        let pod = try decode(Pod.self, "core.v1.Pod")
        #expect(pod.metadata.name == "nameValue")
        #expect(pod.metadata.deletionTimestamp == "2009-01-01T01:01:01Z")
        #expect(pod.metadata.ownerReferences?.first?.controller == true)
        let port = try #require(pod.spec?.containers?.first?.ports?.first)
        #expect(port.name == "nameValue" && port.containerPort == 3 && port.protocol == "protocolValue" && port.hostPort == 2)
        #expect(pod.spec?.initContainers?.first?.ports?.first?.containerPort == 3)
        #expect(pod.spec?.nodeName == "nodeNameValue")
        #expect(pod.status?.phase == "phaseValue")
        #expect(pod.status?.podIP == "podIPValue")
        #expect(pod.status?.podIPs == [PodIP(ip: "ipValue")])
        #expect(pod.status?.conditions?.first?.type == "typeValue")
        #expect(pod.status?.containerStatuses?.first?.restartCount == 5)
        #expect(pod.isTerminating)
        #expect(pod.containerPort(named: "nameValue") == 3)
        #expect(pod.containerPort(named: "nameValue", protocol: "TCP") == nil)
    }

    @Test func service() throws {
        let service = try decode(Service.self, "core.v1.Service")
        #expect(service.spec?.selector == ["selectorKey": "selectorValue"])
        #expect(service.spec?.ports?.first?.targetPort == .string("targetPortValue"))
        #expect(service.spec?.ports?.first?.port == 3)
        #expect(service.spec?.clusterIP == "clusterIPValue")
        #expect(service.spec?.type == "typeValue")
        #expect(service.spec?.publishNotReadyAddresses == true)
        #expect(service.port(.string("nameValue"))?.nodePort == 5)
    }

    @Test func endpointsAndSlices() throws {
        let endpoints = try decode(Endpoints.self, "core.v1.Endpoints")
        #expect(endpoints.subsets?.first?.addresses?.first?.targetRef?.name == "nameValue")
        #expect(endpoints.subsets?.first?.notReadyAddresses?.first?.ip == "ipValue")
        #expect(endpoints.subsets?.first?.ports?.first?.port == 2)
        let slice = try decode(EndpointSlice.self, "discovery.k8s.io.v1.EndpointSlice")
        #expect(slice.addressType == "addressTypeValue")
        let endpoint = try #require(slice.endpoints?.first)
        #expect(endpoint.addresses == ["addressesValue"])
        #expect(endpoint.conditions == EndpointConditions(ready: true, serving: true, terminating: true))
        #expect(endpoint.targetRef?.kind == "kindValue")
        let port = try #require(slice.ports?.first)
        #expect(port.name == "nameValue" && port.port == 3 && port.protocol == "protocolValue" && port.appProtocol == "appProtocolValue")
    }

    @Test func workloadsAndNamespace() throws {
        let deployment = try decode(Deployment.self, "apps.v1.Deployment")
        #expect(deployment.spec?.selector?.matchLabels == ["matchLabelsKey": "matchLabelsValue"])
        #expect(deployment.spec?.selector?.matchExpressions?.first?.operator == "operatorValue")
        #expect(deployment.status?.readyReplicas == 7)
        #expect(deployment.spec?.template?.spec?.containers?.first?.ports?.first?.containerPort == 3)
        let statefulSet = try decode(StatefulSet.self, "apps.v1.StatefulSet")
        #expect(statefulSet.spec?.serviceName == "serviceNameValue")
        #expect(statefulSet.status?.availableReplicas == 11)
        let replicaSet = try decode(ReplicaSet.self, "apps.v1.ReplicaSet")
        #expect(replicaSet.spec?.selector?.matchLabels?.isEmpty == false)
        let namespace = try decode(Namespace.self, "core.v1.Namespace")
        #expect(namespace.status?.phase == "phaseValue")
    }

    @Test func statusAndPortForwardOptions() throws {
        let status = try decode(Status.self, "core.v1.Status")
        #expect(status.code == 6)
        #expect(status.details?.retryAfterSeconds == 5)
        #expect(status.details?.causes?.first?.field == "fieldValue")
        let options = try decode(PodPortForwardOptions.self, "core.v1.PodPortForwardOptions")
        #expect(options.ports == [1])
    }

    @Test func serviceListWithoutListMetadata() throws {
        let list = try decode(ObjectList<Service>.self, "multi-resource-svclist")
        #expect(list.items.map(\.metadata.name) == ["mock", "mock2"])
        #expect(list.items.first?.spec?.ports?.first?.targetPort == .int(9949))
        #expect(list.metadata.resourceVersion == nil)
    }

    /// The upstream WatchEvent fixture has a placeholder type: berth must refuse it rather than guess.
    @Test func watchEventFixtureWithAnUnknownTypeIsRejected() throws {
        let bytes = ByteBuffer(data: try fixture("core.v1.WatchEvent"))
        #expect(throws: DecodingError.self) { _ = try WatchEvent<Namespace>.decode(bytes) }
    }
}
