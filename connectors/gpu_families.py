"""Which GPU instance shapes are fit for multi-instance training (``gpu_offers.multi_node``).

An offer is ``multi_node`` when the instance is a whole 8-GPU SXM/NVLink server (HGX
baseboard) that the provider connects to a cluster network built for collective
traffic: AWS EFA, GCP GPUDirect-TCPX/TCPXO/RDMA, Azure InfiniBand. Smaller slices of
the same servers, PCIe cards and servers without such a network are not.

Basis (provider documentation pages; the classification is by instance family):
- AWS: p4d/p4de (400 Gbps EFA), p5/p5en (3,200 Gbps EFA) and p6-b200 (EFAv4) are the
  EC2 UltraCluster instance families, https://aws.amazon.com/ec2/ultraclusters/ and
  https://aws.amazon.com/ec2/instance-types/p5/ ; p5.4xlarge is a single-GPU slice.
- GCP: a3-highgpu-8g (GPUDirect-TCPX) and a3-megagpu-8g (GPUDirect-TCPXO), per
  https://docs.cloud.google.com/ai-hypercomputer/docs/nccl/test-gke-custom-a3-mega-high ;
  a3-ultragpu-8g (8 x H200, CX-7 RDMA over RoCE), per the GoogleCloudPlatform
  cluster-toolkit v1.44.1 release notes. A2 (A100) machine types are not multi-node here:
  NVIDIA's GKE recipes note that GPUDirect-TCPXO "targets H100 a3-megagpu-8g nodes, not
  the A100 a2-highgpu/a2-ultragpu machine family"
  (https://docs.nvidia.com/aicr/latest/integrator-guide/gke-tcpxo-networking.md).
- Azure: ND A100 v4 (ND96asr_v4, ND96amsr_A100_v4), ND H100 v5 and ND H200 v5 carry
  8 x 200/400 Gb/s InfiniBand for scale-out,
  https://learn.microsoft.com/azure/virtual-machines/sizes/gpu-accelerated/nd-h100-v5-series ;
  NC-series (incl. NC H100 v5 = H100 NVL, 1-2 GPUs) are not multi-node.
"""

from __future__ import annotations

MULTI_NODE_INSTANCE_TYPES: dict[str, frozenset[str]] = {
    "aws": frozenset({
        "p4d.24xlarge", "p4de.24xlarge", "p5.48xlarge", "p5en.48xlarge", "p6-b200.48xlarge",
    }),
    "gcp": frozenset({"a3-highgpu-8g", "a3-megagpu-8g", "a3-ultragpu-8g"}),
    "azure": frozenset({
        "Standard_ND96asr_v4", "Standard_ND96amsr_A100_v4", "Standard_ND96isr_H100_v5",
        "Standard_ND96isr_H200_v5",
    }),
}  # fmt: skip

# Canonical GPU model names (each a key of the ``hardware`` table).
GPU_MODELS: tuple[str, ...] = (
    "H100", "H100-NVL", "H200", "B200", "A100-40GB", "A100-80GB", "L40S", "L4", "A10G",
    "A10", "T4", "V100",
)  # fmt: skip


def is_multi_node(provider: str, instance_type: str) -> bool:
    """True when ``instance_type`` of ``provider`` is an 8-GPU server on a cluster network."""
    return instance_type in MULTI_NODE_INSTANCE_TYPES.get(provider, frozenset())
