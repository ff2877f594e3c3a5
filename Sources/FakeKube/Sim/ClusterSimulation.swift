import BerthRelay
import Foundation
import Logging
import NIOCore
import Synchronization

/// The fake cluster's controllers and kubelet: Deployments and StatefulSets keep their replicas, pods
/// start (real local servers), become Ready, terminate gracefully and are replaced, and EndpointSlices and
/// Endpoints follow pod state. Every mutation runs on one event loop, so the simulation is sequential
/// and its timers need no further locking.
public final class ClusterSimulation: Sendable {
    struct WorkloadKey: Hashable, Sendable {
        var resource: ResourceKind
        var namespace: String
        var name: String
    }

    struct Workload: Sendable {
        var spec: Scenario.Workload
        var uid: String
        var templateHash: String
    }

    struct PodRecord: Sendable {
        var uid: String
        var owner: WorkloadKey?
        var containers: [Scenario.Container]
        var readinessDelay: Double
        var ip: String
    }

    struct State: ~Copyable {
        var workloads: [WorkloadKey: Workload] = [:]
        var pods: [String: PodRecord] = [:]  // "ns/name"
        var nextIP = 0
        var nextClusterIP = 0
        var timers: [Int: Scheduled<Void>] = [:]
        var nextTimer = 0
        var shutDown = false
    }

    let store: ObjectStore
    let loop: any EventLoop
    let servers: PodServers
    let logger: Logger
    /// Seconds a pod created through the API stays Pending before it runs (and is Ready).
    let createdPodStartDelay: Double
    let state = Mutex(State())
    /// Hosts outside the cluster that a relay may reach, "HOST:PORT" → the local server standing for it.
    let externalHosts = Mutex<[String: SocketAddress]>([:])
    private let podGoneHook = Mutex<(@Sendable (String) -> Void)?>(nil)

    init(store: ObjectStore, loop: any EventLoop, servers: PodServers, logger: Logger, createdPodStartDelay: Double = 0.1) {
        self.store = store
        self.createdPodStartDelay = createdPodStartDelay
        self.loop = loop
        self.servers = servers
        self.logger = logger
    }

    /// Called with a pod's UID once it is gone, so that its port-forward sessions close.
    func onPodGone(_ hook: @escaping @Sendable (String) -> Void) {
        podGoneHook.withLock { $0 = hook }
    }

    // MARK: Loading

    /// Creates the scenario's objects; completes when every initial pod is Running (and Ready: the
    /// readiness delay applies only to pods started later).
    func load(_ scenario: Scenario) -> EventLoopFuture<Void> {
        loop.flatSubmit {
            for namespace in scenario.allNamespaces { self.store.create(.namespaces, ObjectBuilders.namespace(namespace)) }
            for service in scenario.services {
                let ip = self.state.withLock { state -> String in
                    state.nextClusterIP += 1
                    return "10.96.\(state.nextClusterIP / 250).\(state.nextClusterIP % 250 + 1)"
                }
                self.store.create(.services, ObjectBuilders.service(service, clusterIP: service.headless ? "None" : ip))
            }
            var starts: [EventLoopFuture<Void>] = []
            for (resource, workloads) in [(ResourceKind.deployments, scenario.deployments), (.statefulsets, scenario.statefulsets)] {
                for spec in workloads {
                    guard let created = self.store.create(resource, ObjectBuilders.workload(kind: resource, spec, replicas: spec.replicas)) else { continue }
                    let key = WorkloadKey(resource: resource, namespace: spec.namespace, name: spec.name)
                    let workload = Workload(
                        spec: spec, uid: created["metadata"]?["uid"]?.stringValue ?? "",
                        templateHash: EndpointsBuilder.shortHash("\(spec.namespace)/\(spec.name)", length: 10))
                    self.state.withLock { $0.workloads[key] = workload }
                    starts += self.reconcile(key, initial: true)
                }
            }
            for pod in scenario.pods {
                starts.append(
                    self.startPod(
                        name: pod.name, namespace: pod.namespace, labels: pod.labels, containers: pod.containers,
                        owner: nil, readinessDelay: 0, gracePeriod: 1, hostname: nil))
            }
            for namespace in scenario.allNamespaces { self.syncEndpoints(namespace: namespace) }
            return EventLoopFuture.andAllSucceed(starts, on: self.loop)
        }
    }

    // MARK: Pods

    private func startPod(
        name: String, namespace: String, labels: [String: String], containers: [Scenario.Container],
        owner: (key: WorkloadKey, workload: Workload)?, readinessDelay: Double, gracePeriod: Int,
        hostname: (name: String, subdomain: String)?
    ) -> EventLoopFuture<Void> {
        let json = ObjectBuilders.pod(
            name: name, namespace: namespace, labels: labels, containers: containers,
            owner: owner.map { (kind: $0.key.resource.kind, name: $0.key.name, uid: $0.workload.uid) }, gracePeriod: gracePeriod,
            hostname: hostname)
        guard let created = store.create(.pods, json), let uid = created["metadata"]?["uid"]?.stringValue else {
            return loop.makeFailedFuture(FakeKubeError.objectNotFound(resource: "pods", namespace: namespace, name: name))
        }
        let ip = record(namespace: namespace, name: name, uid: uid, owner: owner?.key, containers: containers, readinessDelay: readinessDelay)
        return runPod(namespace: namespace, name: name, uid: uid, ip: ip, containers: containers, owner: owner?.key, readinessDelay: readinessDelay)
    }

    /// Remembers a pod the store holds now and gives it its IP.
    func record(
        namespace: String, name: String, uid: String, owner: WorkloadKey?, containers: [Scenario.Container],
        readinessDelay: Double
    ) -> String {
        let ip = state.withLock { state -> String in
            state.nextIP += 1
            let ip = "10.244.\(state.nextIP / 250).\(state.nextIP % 250 + 2)"
            state.pods["\(namespace)/\(name)"] = PodRecord(
                uid: uid, owner: owner, containers: containers, readinessDelay: readinessDelay, ip: ip)
            return ip
        }
        logger.debug("pod created", metadata: ["pod": "\(namespace)/\(name)", "ip": "\(ip)"])
        return ip
    }

    /// The kubelet's part: binds the pod's servers (or runs the relay of a relay pod), then marks it Running
    /// (Ready after `readinessDelay`).
    func runPod(
        namespace: String, name: String, uid: String, ip: String, containers: [Scenario.Container], owner: WorkloadKey?,
        readinessDelay: Double, relay: RelayConfiguration? = nil
    ) -> EventLoopFuture<Void> {
        let started: EventLoopFuture<Void>
        if let relay {
            started = servers.startRelay(podUID: uid, namespace: namespace, podName: name, configuration: relay) { host, port, kind in
                self.resolveForRelay(host: host, port: port, kind: kind)
            }
        } else {
            started = servers.start(podUID: uid, namespace: namespace, podName: name, ports: containers.flatMap(\.ports)).map { _ in }
        }
        return started
            .hop(to: loop)
            .map { _ in
                let now = KubeTime.format(Date())
                let readyNow = readinessDelay <= 0
                self.store.update(.pods, namespace: namespace, name: name) { pod in
                    guard pod["metadata"]?["uid"]?.stringValue == uid, pod["metadata"]?["deletionTimestamp"] == nil else { return false }
                    pod["status"] = ObjectBuilders.runningStatus(
                        ip: ip, ready: readyNow, containers: containers, startTime: now, transitionTime: now)
                    return true
                }
                self.podChanged(namespace: namespace, owner: owner)
                if !readyNow {
                    self.schedule(after: readinessDelay) { self.markReady(namespace: namespace, name: name, uid: uid) }
                }
            }
    }

    private func markReady(namespace: String, name: String, uid: String) {
        let now = KubeTime.format(Date())
        let changed = store.update(.pods, namespace: namespace, name: name) { pod in
            guard pod["metadata"]?["uid"]?.stringValue == uid, pod["metadata"]?["deletionTimestamp"] == nil else { return false }
            Self.setReadiness(&pod, ready: true, at: now)
            return true
        }
        if changed != nil {
            podChanged(namespace: namespace, owner: state.withLock { $0.pods["\(namespace)/\(name)"]?.owner })
        }
    }

    static func setReadiness(_ pod: inout JSON, ready: Bool, at time: String) {
        let value: JSON = .string(ready ? "True" : "False")
        if let conditions = pod["status"]?["conditions"]?.arrayValue {
            pod["status"]?["conditions"] = .array(
                conditions.map { condition in
                    var condition = condition
                    let type = condition["type"]?.stringValue
                    if type == "Ready" || type == "ContainersReady", condition["status"] != value {
                        condition["status"] = value
                        condition["lastTransitionTime"] = .string(time)
                    }
                    return condition
                })
        }
        if let statuses = pod["status"]?["containerStatuses"]?.arrayValue {
            pod["status"]?["containerStatuses"] = .array(
                statuses.map { status in
                    var status = status
                    status["ready"] = .bool(ready)
                    return status
                })
        }
    }

    /// Deletes a pod: gracefully (deletionTimestamp set, not ready, gone after the grace period) or, with a
    /// grace period of 0, at once. Returns the pod as it is after the call, or nil when there is none.
    func deletePod(namespace: String, name: String, gracePeriod: Int?) -> EventLoopFuture<JSON?> {
        loop.submit {
            guard let pod = self.store.get(.pods, namespace: namespace, name: name),
                let uid = pod["metadata"]?["uid"]?.stringValue
            else { return nil }
            let grace = gracePeriod ?? pod["spec"]?["terminationGracePeriodSeconds"]?.intValue ?? 30
            if grace <= 0 {
                return self.removePod(namespace: namespace, name: name, uid: uid)
            }
            if pod["metadata"]?["deletionTimestamp"] != nil {
                return pod
            }
            let now = Date()
            let updated = self.store.update(.pods, namespace: namespace, name: name) { pod in
                pod["metadata"]?["deletionTimestamp"] = .string(KubeTime.format(now.addingTimeInterval(Double(grace))))
                pod["metadata"]?["deletionGracePeriodSeconds"] = .int(grace)
                Self.setReadiness(&pod, ready: false, at: KubeTime.format(now))
                return true
            }
            let owner = self.state.withLock { $0.pods["\(namespace)/\(name)"]?.owner }
            self.podChanged(namespace: namespace, owner: owner)
            self.schedule(after: Double(grace)) { _ = self.removePod(namespace: namespace, name: name, uid: uid) }
            self.scheduleReconcile(owner)
            return updated
        }
    }

    private func removePod(namespace: String, name: String, uid: String) -> JSON? {
        guard store.get(.pods, namespace: namespace, name: name)?["metadata"]?["uid"]?.stringValue == uid else { return nil }
        let last = store.delete(.pods, namespace: namespace, name: name)
        let record = state.withLock { $0.pods.removeValue(forKey: "\(namespace)/\(name)") }
        servers.stop(podUID: uid)
        podGoneHook.withLock { $0 }?(uid)
        logger.debug("pod gone", metadata: ["pod": "\(namespace)/\(name)"])
        podChanged(namespace: namespace, owner: record?.owner)
        scheduleReconcile(record?.owner)
        return last
    }

    func podChanged(namespace: String, owner: WorkloadKey?) {
        syncEndpoints(namespace: namespace)
        if let owner { updateWorkloadStatus(owner) }
    }

    // MARK: Workloads

    /// Sets a workload's replicas and converges. Returns the workload object, or nil when there is none.
    func scale(_ resource: ResourceKind, namespace: String, name: String, replicas: Int) -> EventLoopFuture<JSON?> {
        loop.submit {
            let key = WorkloadKey(resource: resource, namespace: namespace, name: name)
            let known = self.state.withLock { state -> Bool in
                guard state.workloads[key] != nil else { return false }
                state.workloads[key]!.spec.replicas = replicas
                return true
            }
            guard known else { return nil }
            self.store.update(resource, namespace: namespace, name: name) { object in
                let generation = (object["metadata"]?["generation"]?.intValue ?? 1) + 1
                object["spec"]?["replicas"] = .int(replicas)
                object["metadata"]?["generation"] = .int(generation)
                object["status"]?["observedGeneration"] = .int(generation)
                return true
            }
            _ = self.reconcile(key, initial: false)
            self.updateWorkloadStatus(key)
            return self.store.get(resource, namespace: namespace, name: name)
        }
    }

    private func scheduleReconcile(_ key: WorkloadKey?) {
        guard let key, let delay = state.withLock({ $0.workloads[key]?.spec.replacementDelay }) else { return }
        schedule(after: delay) { _ = self.reconcile(key, initial: false) }
    }

    /// Creates missing pods and deletes surplus ones. Returns the start futures of new pods.
    private func reconcile(_ key: WorkloadKey, initial: Bool) -> [EventLoopFuture<Void>] {
        guard let workload = state.withLock({ $0.workloads[key] }) else { return [] }
        let spec = workload.spec
        let owned = store.list(.pods, namespace: key.namespace).items.filter { pod in
            pod["metadata"]?["ownerReferences"]?.arrayValue?.first?["uid"]?.stringValue == workload.uid
        }
        let live = owned.filter { $0["metadata"]?["deletionTimestamp"] == nil }
        var starts: [EventLoopFuture<Void>] = []
        func start(_ name: String, hostname: (name: String, subdomain: String)?) {
            starts.append(
                startPod(
                    name: name, namespace: key.namespace, labels: spec.labels, containers: spec.containers,
                    owner: (key: key, workload: workload), readinessDelay: initial ? 0 : spec.readinessDelay,
                    gracePeriod: spec.terminationGracePeriodSeconds, hostname: hostname))
        }
        switch key.resource {
        case .statefulsets:
            let names = Set(owned.compactMap { $0["metadata"]?["name"]?.stringValue })
            for ordinal in 0..<max(spec.replicas, 0) where !names.contains("\(spec.name)-\(ordinal)") {
                // The StatefulSet's serviceName is its own name here (ObjectBuilders.workload).
                start("\(spec.name)-\(ordinal)", hostname: (name: "\(spec.name)-\(ordinal)", subdomain: spec.name))
            }
            for pod in live {
                let name = EndpointsBuilder.podName(pod)
                if let ordinal = Int(name.split(separator: "-").last ?? ""), ordinal >= spec.replicas {
                    _ = deletePod(namespace: key.namespace, name: name, gracePeriod: nil)
                }
            }
        default:
            if live.count < spec.replicas {
                for _ in live.count..<spec.replicas {
                    start("\(spec.name)-\(workload.templateHash)-\(Self.randomSuffix())", hostname: nil)
                }
            } else if live.count > spec.replicas {
                let newestFirst = live.sorted {
                    ($0["metadata"]?["creationTimestamp"]?.stringValue ?? "", EndpointsBuilder.podName($0))
                        > ($1["metadata"]?["creationTimestamp"]?.stringValue ?? "", EndpointsBuilder.podName($1))
                }
                for pod in newestFirst.prefix(live.count - spec.replicas) {
                    _ = deletePod(namespace: key.namespace, name: EndpointsBuilder.podName(pod), gracePeriod: nil)
                }
            }
        }
        updateWorkloadStatus(key)
        return starts
    }

    private func updateWorkloadStatus(_ key: WorkloadKey) {
        guard let uid = state.withLock({ $0.workloads[key]?.uid }) else { return }
        let owned = store.list(.pods, namespace: key.namespace).items.filter {
            $0["metadata"]?["ownerReferences"]?.arrayValue?.first?["uid"]?.stringValue == uid
        }
        let ready = owned.filter { pod in
            pod["metadata"]?["deletionTimestamp"] == nil
                && (pod["status"]?["conditions"]?.arrayValue ?? []).contains {
                    $0["type"]?.stringValue == "Ready" && $0["status"]?.stringValue == "True"
                }
        }.count
        let live = owned.filter { $0["metadata"]?["deletionTimestamp"] == nil }.count
        store.update(key.resource, namespace: key.namespace, name: key.name) { object in
            object["status"]?["replicas"] = .int(live)
            object["status"]?["readyReplicas"] = .int(ready)
            object["status"]?["availableReplicas"] = .int(ready)
            if key.resource == .deployments { object["status"]?["updatedReplicas"] = .int(live) }
            if key.resource == .statefulsets { object["status"]?["currentReplicas"] = .int(live) }
            return true
        }
    }

    static func randomSuffix() -> String {
        let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")
        return String((0..<5).map { _ in alphabet.randomElement()! })
    }

    // MARK: Timers

    func schedule(after seconds: Double, _ work: @escaping @Sendable () -> Void) {
        state.withLock { state in
            guard !state.shutDown else { return }
            let id = state.nextTimer
            state.nextTimer += 1
            state.timers[id] = loop.scheduleTask(in: .nanoseconds(Int64(max(seconds, 0) * 1e9))) {
                _ = self.state.withLock { $0.timers.removeValue(forKey: id) }
                work()
            }
        }
    }

    /// Cancels every timer and closes every pod server.
    func shutdown() {
        let timers = state.withLock { state in
            state.shutDown = true
            let timers = state.timers
            state.timers = [:]
            return timers
        }
        for timer in timers.values { timer.cancel() }
        servers.stopAll()
    }

    /// The local address of a pod's container port, or nil.
    func localAddress(podUID: String, containerPort: Int) -> SocketAddress? {
        servers.address(podUID: podUID, containerPort: containerPort)
    }

    /// The containers the scenario gave a pod (with each port's behaviour), or nil when this pod (this UID)
    /// is not known.
    func containers(namespace: String, name: String, uid: String) -> [Scenario.Container]? {
        state.withLock { state in
            guard let record = state.pods["\(namespace)/\(name)"], record.uid == uid else { return nil }
            return record.containers
        }
    }
}

extension JSON {
    /// The object without `key`.
    func removing(_ key: String) -> JSON {
        guard case .object(var members) = self else { return self }
        members.removeValue(forKey: key)
        return .object(members)
    }
}
