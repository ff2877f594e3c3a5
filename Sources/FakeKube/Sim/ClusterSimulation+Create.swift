import BerthRelay
import Foundation
import NIOCore

extension ClusterSimulation {
    /// What creating a pod came to.
    enum PodCreation: Sendable {
        /// Stored (Pending); the object as the API answers it.
        case created(JSON)
        /// A pod of that name exists already.
        case alreadyExists
    }

    /// Creates a pod from a client's object (`POST …/pods`, already validated into `containers`): stored
    /// Pending at once, then after `createdPodStartDelay` its servers (or, for a relay pod, `relay`) start and it
    /// is Running and Ready.
    /// Nothing owns it, so nothing replaces it when it is deleted.
    func createPod(
        _ object: JSON, namespace: String, name: String, containers: [Scenario.Container], relay: RelayConfiguration?
    ) -> EventLoopFuture<PodCreation> {
        loop.submit {
            guard let created = self.store.create(.pods, Self.storedPod(object, namespace: namespace, name: name)),
                let uid = created["metadata"]?["uid"]?.stringValue
            else { return .alreadyExists }
            let ip = self.record(namespace: namespace, name: name, uid: uid, owner: nil, containers: containers, readinessDelay: 0)
            self.schedule(after: self.createdPodStartDelay) {
                // A pod deleted while Pending never starts.
                guard let pod = self.store.get(.pods, namespace: namespace, name: name),
                    pod["metadata"]?["uid"]?.stringValue == uid, pod["metadata"]?["deletionTimestamp"] == nil
                else { return }
                self.runPod(
                    namespace: namespace, name: name, uid: uid, ip: ip, containers: containers, owner: nil, readinessDelay: 0,
                    relay: relay
                ).whenFailure { error in
                    self.logger.error("created pod did not start", metadata: ["pod": "\(namespace)/\(name)", "error": "\(error)"])
                }
            }
            self.podChanged(namespace: namespace, owner: nil)
            return .created(created)
        }
    }

    /// The object as the server keeps it: the client's metadata without the fields only the server sets, its
    /// spec with the server's defaults and this cluster's node, and a Pending status.
    static func storedPod(_ object: JSON, namespace: String, name: String) -> JSON {
        var metadata: JSON = .emptyObject
        for key in ["labels", "annotations", "generateName", "ownerReferences", "finalizers"] {
            if let value = object["metadata"]?[key] { metadata[key] = value }
        }
        metadata["name"] = .string(name)
        metadata["namespace"] = .string(namespace)
        var spec = object["spec"] ?? .emptyObject
        spec["nodeName"] = .string(ObjectBuilders.nodeName)
        if spec["restartPolicy"] == nil { spec["restartPolicy"] = "Always" }
        // Kubernetes' default grace period; a client that wants a quick delete says so in the spec.
        if spec["terminationGracePeriodSeconds"] == nil { spec["terminationGracePeriodSeconds"] = 30 }
        return [
            "metadata": metadata,
            "spec": spec,
            "status": ["phase": "Pending", "conditions": [["type": "PodScheduled", "status": "True"]]],
        ]
    }
}
