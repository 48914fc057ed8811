#!/bin/sh
# A KRM generator: ignores its input and emits one Service.
cat >/dev/null
cat <<'OUT'
apiVersion: config.kubernetes.io/v1
kind: ResourceList
items:
- apiVersion: v1
  kind: Service
  metadata:
    name: made
  spec:
    ports:
    - port: 80
OUT
