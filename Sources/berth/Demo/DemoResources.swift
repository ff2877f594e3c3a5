/// The files `berth demo` needs, compiled in so that the binary runs from any directory.
///
/// They are byte-for-byte copies of `examples/demo-cluster.yaml` and `examples/demo-forwards.yaml`;
/// `DemoResourcesTests` fails when a copy drifts from its file.
enum DemoResources {
    /// The FakeKube scenario: `examples/demo-cluster.yaml`.
    static let clusterYAML = #"""
# The fake cluster the demo, the examples and the benchmarks use (`fake-kube serve --scenario …`).
# Pod IPs are data only; every container port is a real TCP server on 127.0.0.1.
namespaces: [shop, data, tools]

deployments:
  # A web tier behind a Service that uses a named targetPort.
  - name: web
    namespace: shop
    replicas: 2
    labels: {app: web, tier: frontend}
    readinessDelay: 0.5
    replacementDelay: 0.5
    containers:
      - name: web
        ports:
          - {name: http, containerPort: 8080, behaviour: http}
          - {name: metrics, containerPort: 9090, behaviour: http}
  - name: api
    namespace: shop
    replicas: 1
    labels: {app: api}
    readinessDelay: 0.2
    replacementDelay: 0.2
    containers:
      - name: api
        ports:
          - {name: grpc, containerPort: 9000, behaviour: echo}
          - {name: http, containerPort: 8000, behaviour: http}

statefulsets:
  - name: postgres
    namespace: data
    replicas: 2
    labels: {app: postgres}
    readinessDelay: 0.5
    replacementDelay: 0.5
    containers:
      - name: postgres
        ports:
          - {name: pg, containerPort: 5432, behaviour: echo}

services:
  - name: web
    namespace: shop
    selector: {app: web}
    ports:
      - {name: http, port: 80, targetPort: http}
  # A Service with more than one port.
  - name: api
    namespace: shop
    selector: {app: api}
    ports:
      - {name: grpc, port: 9000, targetPort: grpc}
      - {name: http, port: 80, targetPort: 8000}
  - name: postgres
    namespace: data
    selector: {app: postgres}
    ports:
      - {name: pg, port: 5432, targetPort: pg}

pods:
  # A bare pod with a byte source and a sink, for throughput checks.
  - name: toolbox
    namespace: tools
    labels: {app: toolbox}
    containers:
      - name: tools
        ports:
          - {name: echo, containerPort: 7000, behaviour: echo}
          - {name: source, containerPort: 7001, behaviour: source}
          - {name: sink, containerPort: 7002, behaviour: sink}
"""#

    /// The manifest berth runs on it: `examples/demo-forwards.yaml`.
    static let forwardsYAML = #"""
# yaml-language-server: $schema=../schema/forwards.schema.json
#
# The forwards `berth demo` runs against the demo cluster (examples/demo-cluster.yaml).
# `berth demo` embeds this file and writes a copy next to the demo's kubeconfig: edit that copy while the
# demo runs and berth converges on the edit. Local ports default to fixed numbers; `berth demo --free-ports`
# sets every BERTH_DEMO_* variable to 0, so that each listener takes a free port instead.
apiVersion: berth/v1
kind: Forwards
defaults:
  namespace: shop
  hold: 10s
  warm: 1
forwards:
  # A Service with a named targetPort, in front of a Deployment of two pods that answer HTTP.
  - name: web
    service: web
    ports: [{local: "${BERTH_DEMO_WEB_PORT:-18080}", remote: 80}]
  # A Service with two ports: an echo server (grpc) and HTTP.
  - name: api
    service: api
    ports:
      - {local: "${BERTH_DEMO_API_GRPC_PORT:-19000}", remote: grpc}
      - {local: "${BERTH_DEMO_API_HTTP_PORT:-18000}", remote: 80}
  # A StatefulSet's pods, by the StatefulSet's selector; they echo.
  - name: db
    namespace: data
    statefulset: postgres
    ports: [{local: "${BERTH_DEMO_DB_PORT:-15432}", remote: pg}]
"""#
}
