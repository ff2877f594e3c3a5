#!/usr/bin/env bash
# Tunnels for local development: run this, then start the app.
set -euo pipefail

kubectl port-forward -n shop svc/web 8080:80 &
kubectl --context staging-eu port-forward \
    --namespace data statefulset/postgres 15432:5432 &
kubectl port-forward deploy/api :http --address 127.0.0.1 -n shop &   # any free port
KUBECONFIG=~/.kube/config kubectl -n monitoring port-forward pod/prometheus-0 9090 &
kubectl port-forward "rs/legacy-5d8f" 7000:7000 &
kubectl get pods -n shop

wait
