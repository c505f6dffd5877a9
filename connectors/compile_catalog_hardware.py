"""The ``hardware`` and ``purchase_options`` tables of the embedded catalog.

Per-GPU power and embodied carbon come from shared/data/reference where it has them
(Cloud Carbon Footprint GPU watts and host-server embodied records, EcoLogits H100
constants) and otherwise from the cited vendor figures below. Embodied carbon per GPU
uses one of two sourced methods, chosen by server class:

- **8-GPU HGX/SXM servers (H100 and its successors)**: EcoLogits' p5.48xlarge server
  excluding GPUs (5,700 kg) / 8 + NVIDIA's HGX H100 card figure (164 kg).
- **Other GPU hosts**: Cloud Carbon Footprint's host-server total (Teads method: base
  server + DRAM + storage + CPUs + 150 kg per GPU) / GPUs in the host.

A GPU with no record of its own uses a documented proxy of the same server class; its
``embodied_source`` says ``proxy``. Every offered GPU therefore has power and embodied
figures, and the ordering follows the hardware (H100-class > A100 > V100/A10-class > T4).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from connectors.compile_catalog_figures import HOURS_PER_YEAR, REF, SYSTEM_POWER, read_ref

EMB_FILE = f"{REF}/embodied_gpu_servers.csv"
CCF_FILE = f"{REF}/ccf_coefficients.csv"


@dataclass(frozen=True)
class PowerFigure:
    """Board power of one GPU model at full load (W), with its source and date."""

    power_w: float
    source: str
    as_of: str


# CCF GPU names for models CCF lists (max/min_watts_gpu in ccf_coefficients.csv).
CCF_GPU_NAMES: dict[str, str] = {
    "A100-40GB": "Nvidia Tesla A100",
    "A100-80GB": "Nvidia Tesla A100",
    "V100": "Nvidia Tesla V100",
    "T4": "Nvidia T4",
    "A10G": "Nvidia A10G",
}

# Vendor figures for models CCF does not list.
DATASHEET_POWER: dict[str, PowerFigure] = {
    "H100": PowerFigure(
        700.0,
        "NVIDIA H100 SXM max TDP up to 700 W (NVIDIA H100 datasheet), read at "
        "https://theneuralbase.com/ai-infrastructure/learn/advanced/h100-tdp-700w/ and "
        "https://huggingface.co/hardware/h100",
        "2022",
    ),
    "H200": PowerFigure(
        700.0,
        "NVIDIA H200 SXM max TDP up to 700 W (NVIDIA H200 datasheet), read at "
        "https://www.aiminingco.com/gpu/h200/specs and https://huggingface.co/hardware/h200",
        "2024",
    ),
    "B200": PowerFigure(
        1000.0,
        "NVIDIA B200 (HGX) configured at 1,000 W maximum, read at "
        "https://glennklockwood.com/garden/processors/B200",
        "2025",
    ),
    "H100-NVL": PowerFigure(
        400.0,
        "NVIDIA H100 NVL PCIe card, 400 W maximum (350-400 W configurable), read at "
        "https://onestopsystems.com/pages/one-stop-systems-blog and "
        "https://gpu.blog/gpus/nvidia-h100-nvl",
        "2023",
    ),
    "L40S": PowerFigure(
        350.0,
        "NVIDIA L40S max power consumption 350 W (NVIDIA L40/L40S specification table), "
        "read at https://www.mullet.se/product.html?product_id=355414",
        "2023",
    ),
    "L4": PowerFigure(
        72.0,
        "NVIDIA L4 72 W power envelope (NVIDIA, GTC 2023-03-21), read at "
        "https://aiwiki.ai/wiki/nvidia_l4 (reviewed 2026-06-03)",
        "2023",
    ),
    "A10": PowerFigure(
        150.0,
        "NVIDIA A10 PCIe TDP 150 W (NVIDIA A10 datasheet), read at "
        "https://gist.github.com/kimbochen (table: A10 ... 150 W)",
        "2021",
    ),
}

# Embodied method per GPU: ("hgx", proxy note) or ("ccf", host record, proxy note) or
# ("ccf_formula", archetype, proxy note). An empty proxy note = the GPU's own record.
EMBODIED_RULES: dict[str, tuple[str, str, str]] = {
    "H100": ("hgx", "", ""),
    "H200": ("hgx", "", "proxy: H100 (same 8-GPU HGX server class, p5en.48xlarge / "
                        "a3-ultragpu-8g / ND H200 v5); no H200 product carbon footprint found"),
    "B200": ("hgx", "", "proxy: H100 (same 8-GPU HGX server class, p6-b200.48xlarge); "
                        "NVIDIA reports HGX B200 at 0.50 vs HGX H100 0.66 gCO2e per exaflop "
                        "(https://developer.nvidia.com/blog/?p=106112) but no absolute kg"),
    "H100-NVL": ("hgx", "", "proxy: H100 (same GH100 die; NC H100 v5 host share taken as "
                            "the p5 server's)"),
    "A100-40GB": ("ccf", "p4d.24xlarge", ""),
    "A100-80GB": ("ccf", "p4d.24xlarge", "proxy: p4d.24xlarge host (p4de.24xlarge has the "
                                         "same CPUs and 36x32GB RAM per the BoaviztAPI "
                                         "archetypes)"),
    "V100": ("ccf", "p3dn.24xlarge", ""),
    "T4": ("ccf", "g4dn.metal", ""),
    "A10G": ("ccf_formula", "g5.48xlarge", ""),
    "L4": ("ccf_formula", "g5.48xlarge", "proxy: A10G host (8 single-die PCIe GPUs, "
                                         "g6.48xlarge has the same layout; CCF charges "
                                         "150 kg per GPU card whatever the model)"),
    "L40S": ("ccf_formula", "g5.48xlarge", "proxy: A10G host (8 single-die PCIe GPUs, "
                                           "g6e.48xlarge has the same layout; CCF charges "
                                           "150 kg per GPU card whatever the model)"),
    "A10": ("ccf_formula", "g5.48xlarge", "proxy: A10G host (A10 and A10G are the same "
                                          "GA102 board class)"),
}  # fmt: skip


def build_hardware(ref: Path, models: pd.Series) -> pd.DataFrame:
    """Per-GPU power, host share and embodied carbon for every offered GPU model."""
    coef = read_ref(ref, "ccf_coefficients.csv")
    emb = read_ref(ref, "embodied_gpu_servers.csv")
    rows = []
    for model in sorted(set(models)):
        row: dict[str, object] = {"gpu_model": model}
        row.update(_power(coef, model))
        row.update(_host_power(model, float(row["power_w"])))  # type: ignore[arg-type]
        row.update(_embodied(emb, coef, model))
        row["source"] = "see power_source, host_power_source and embodied_source"
        rows.append(row)
    return pd.DataFrame(rows)


def _power(coef: pd.DataFrame, model: str) -> dict[str, object]:
    """Board power and idle power (W): CCF where CCF lists the chip, else the datasheet."""
    name = CCF_GPU_NAMES.get(model)
    if name:
        aws = coef[(coef.provider == "aws") & (coef.key == name)]
        mx = aws[aws.parameter == "max_watts_gpu"].iloc[0]
        mn = aws[aws.parameter == "min_watts_gpu"].iloc[0]
        return {
            "power_w": float(mx.value), "idle_w": float(mn.value),
            "power_source": f"CCF max/min_watts_gpu for {name} (100 % / idle): {mx.source}",
            "as_of": "2024-03-25",
        }  # fmt: skip
    fig = DATASHEET_POWER[model]
    return {"power_w": fig.power_w, "idle_w": math.nan, "power_source": fig.source,
            "as_of": fig.as_of}  # fmt: skip


def _host_power(model: str, power_w: float) -> dict[str, object]:
    """Host share per GPU (W) = (8-GPU system max - 8 x board power) / 8, where sourced."""
    sp = SYSTEM_POWER.get(model)
    if sp is None:
        return {"host_power_w_per_gpu": math.nan, "host_power_source": math.nan}
    host = (sp.max_w - sp.gpus * power_w) / sp.gpus
    src = (f"derived: ({sp.system} max system power {sp.max_w:g} W - {sp.gpus} x "
           f"{power_w:g} W board power) / {sp.gpus}; upper bound (PSU maximum, not measured "
           f"draw) from {sp.source}")  # fmt: skip
    return {"host_power_w_per_gpu": round(host, 3), "host_power_source": src}


def _lifetime(emb: pd.DataFrame) -> tuple[int, str]:
    """Hardware life (h) used for every model, and its source text."""
    life = emb[(emb.record_type == "boavizta_archetype") & (emb.gpu_model == "Large GPU")]
    life_h = int(round(float(life.lifetime_years.iloc[0]) * HOURS_PER_YEAR))
    return life_h, (f"lifetime {life_h} h = 3 y (EcoLogits HARDWARE_LIFESPAN; BoaviztAPI "
                    f"GPU component hours_life_time=26280), same for all models")  # fmt: skip


def _embodied(emb: pd.DataFrame, coef: pd.DataFrame, model: str) -> dict[str, object]:
    """Embodied kgCO2e per GPU (card + server share) and the lifetime it is spread over."""
    method, record, proxy = EMBODIED_RULES[model]
    if method == "hgx":
        kg, how = _hgx_per_gpu(emb)
    elif method == "ccf":
        kg, how = _ccf_record_per_gpu(emb, record)
    else:
        kg, how = _ccf_formula_per_gpu(emb, coef, record)
    life_h, life_src = _lifetime(emb)
    src = f"derived: {how}; {life_src}" + (f"; {proxy}" if proxy else "")
    return {"embodied_kgco2e_per_gpu": round(kg, 3), "lifetime_h": life_h,
            "embodied_source": src}  # fmt: skip


def _hgx_per_gpu(emb: pd.DataFrame) -> tuple[float, str]:
    """EcoLogits: p5.48xlarge server excl. GPUs / 8 + H100 card (kg per GPU)."""
    consts = emb[emb.record_type == "model_constant"]
    server = consts[consts.embodied_kgco2e_server_excl_gpu.eq(5700.0)].iloc[0]
    card = consts[consts.embodied_kgco2e_per_gpu.eq(164.0)].iloc[0]
    n = int(server.gpus_per_server)
    kg = float(server.embodied_kgco2e_server_excl_gpu) / n + float(card.embodied_kgco2e_per_gpu)
    return kg, (f"{server.embodied_kgco2e_server_excl_gpu:g}/{n} kg (p5.48xlarge server excl. "
                f"GPUs) + {card.embodied_kgco2e_per_gpu:g} kg (H100 card, NVIDIA HGX H100 PCF) "
                f"from EcoLogits ({server.source}) via {EMB_FILE}")  # fmt: skip


def _ccf_record_per_gpu(emb: pd.DataFrame, instance: str) -> tuple[float, str]:
    """CCF host-server total (kg) / GPUs in that host, from its instance record."""
    rec = emb[(emb.record_type == "ccf_instance_coefficient")
              & (emb.hardware_or_instance == instance)].iloc[0]  # fmt: skip
    total, n = float(rec.embodied_kgco2e_server_total), int(rec.gpus_per_server)
    return total / n, (f"{total:g}/{n} kg (CCF host-server total for {instance}: "
                       f"{rec.method_note.split(';')[0]}) from {rec.source} via {EMB_FILE}")


def _ccf_constant(coef: pd.DataFrame, key: str) -> float:
    """One CCF embodied constant (kg, or kg per GB); '533/384 (=1.388)' → 533/384."""
    raw = str(coef[(coef.parameter == "embodied_constant") & (coef.key == key)].value.iloc[0])
    num = re.match(r"\s*(\d+(?:\.\d+)?)(?:\s*/\s*(\d+(?:\.\d+)?))?", raw)
    if num is None:
        raise ValueError(f"{CCF_FILE}: embodied_constant {key} is not a number: {raw!r}")
    return float(num.group(1)) / (float(num.group(2)) if num.group(2) else 1.0)


def _ccf_formula_per_gpu(emb: pd.DataFrame, coef: pd.DataFrame, instance: str
                         ) -> tuple[float, str]:
    """CCF/Teads host total from a BoaviztAPI archetype's parts, divided by its GPUs.

    total = base + (DRAM GB - threshold) x kg/GB + (CPUs - 1) x CPU + SSDs x SSD + GPUs x GPU
    """
    arch = emb[(emb.record_type == "boavizta_archetype")
               & (emb.hardware_or_instance == instance)].iloc[0]  # fmt: skip
    note = str(arch.method_note)
    parts = {
        "cpus": re.search(r"CPU (\d+)x", note), "ram": re.search(r"RAM (\d+)x(\d+)GB", note),
        "ssd": re.search(r"SSD (\d+)x", note), "gpu": re.search(r"GPU (\d+)x", note),
    }  # fmt: skip
    if any(m is None for m in parts.values()):
        raise ValueError(f"{EMB_FILE}: cannot read the parts of {instance} from {note!r}")
    cpus, gpus = int(parts["cpus"].group(1)), int(parts["gpu"].group(1))  # type: ignore[union-attr]
    ram_gb = int(parts["ram"].group(1)) * int(parts["ram"].group(2))  # type: ignore[union-attr]
    ssds = int(parts["ssd"].group(1))  # type: ignore[union-attr]
    c = {k: _ccf_constant(coef, k) for k in (
        "BASE_MANUFACTURING_EMISSIONS", "DRAM_THRESHOLD", "DRAM_MANUFACTURING_EMISSIONS_per_GB",
        "CPU_MANUFACTURING_EMISSIONS", "SSD_MANUFACTURING_EMISSIONS",
        "GPU_MANUFACTURING_EMISSIONS")}  # fmt: skip
    total = (c["BASE_MANUFACTURING_EMISSIONS"]
             + (ram_gb - c["DRAM_THRESHOLD"]) * c["DRAM_MANUFACTURING_EMISSIONS_per_GB"]
             + (cpus - 1) * c["CPU_MANUFACTURING_EMISSIONS"]
             + ssds * c["SSD_MANUFACTURING_EMISSIONS"]
             + gpus * c["GPU_MANUFACTURING_EMISSIONS"])  # fmt: skip
    how = (f"{total:.2f}/{gpus} kg: CCF/Teads host total for {instance} = 1000 base + "
           f"({ram_gb} - 16) GB x 533/384 kg + {cpus - 1} extra CPU x 100 + {ssds} SSD x 100 "
           f"+ {gpus} GPU x 150, constants from {CCF_FILE}, parts from the BoaviztAPI "
           f"archetype ({arch.source}) via {EMB_FILE}")
    return total / gpus, how


# --------------------------------------------------------------------------------------
# purchase_options
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PurchaseOption:
    """A committed-use discount of one provider vs its on-demand price."""

    provider: str
    purchase: str  # committed_1y | committed_3y
    discount_fraction: float
    scope: str
    source: str
    as_of: str


PURCHASE_OPTIONS: tuple[PurchaseOption, ...] = (
    PurchaseOption(
        "aws", "committed_1y", 0.349,
        "EC2 Standard Reserved Instance, 1 year, no upfront, Linux: the lowest GPU-family "
        "rate, so a lower bound for GPU instances (g6/gr6 0.349; p4d/p4de 0.366; g5, g6e, "
        "g4dn 0.37; p3dn 0.384); p5, p5en and p6-b200 list no Reserved Instance price "
        "(Savings Plans only)",
        "derived: 1 - reserved / onDemand (reserved = yrTerm1Standard.noUpfront, per the "
        "repository's scripts/utils.py), median per instance family over regions, from "
        "tsaol/aws-gpu@7412fd256c5e:data/all_gpu_instances.js (instances.vantage.sh data, "
        "'Last updated: 2026-01-21')",
        "2026-01-21",
    ),
    PurchaseOption(
        "aws", "committed_3y", 0.60,
        "EC2 Instance Savings Plan (= Standard Reserved Instance rates), Linux, 3 years, "
        "typical rate for an instance family in one region; not a GPU-specific figure "
        "(AWS's cap is 72 %); no sourced 3-year GPU-instance price was found",
        "ProsperOps, 'AWS Savings Plans: What you need to know' "
        "(https://www.prosperops.com/blog/aws-savings-plans/): '~60% for a Linux 3 year'; "
        "cap: https://aws.amazon.com/savingsplans/faqs",
        "2019-11-06",
    ),
    PurchaseOption(
        "gcp", "committed_1y", 0.306,
        "Compute Engine resource-based commitment, 1 year, for a3-highgpu-8g (H100): the "
        "lowest GPU-family rate, so a lower bound for GPU instances (other families in the "
        "same file: a3-megagpu 0.312, a2 (A100) 0.37, g2 (L4) 0.37)",
        "derived: 1 - month_1y / month for a3-highgpu-8g, median over 40 regions (range "
        "0.305-0.306), from Cyclenerd/google-cloud-pricing-cost-calculator@fd66b26ff84f:"
        "pricing.yml (Cloud Billing Catalog API, generated 2026-07-30; Apache-2.0)",
        "2026-07-30",
    ),
    PurchaseOption(
        "gcp", "committed_3y", 0.561,
        "Compute Engine resource-based commitment, 3 years, for a3-highgpu-8g (H100) (other "
        "families in the same file: a3-megagpu 0.564, a2 (A100) 0.65, g2 (L4) 0.55); "
        "Google's stated maximum for GPUs is 55-57 %",
        "derived: 1 - month_3y / month for a3-highgpu-8g, median over 40 regions (range "
        "0.560-0.561), from Cyclenerd/google-cloud-pricing-cost-calculator@fd66b26ff84f:"
        "pricing.yml (Cloud Billing Catalog API, generated 2026-07-30; Apache-2.0)",
        "2026-07-30",
    ),
    PurchaseOption(
        "azure", "committed_3y", 0.72,
        "Azure Reserved VM Instance, 3 years, Linux; Microsoft's advertised maximum (its "
        "example is an M32ts VM in West US 2), an upper bound, not a GPU-specific figure",
        "Azure Reserved Virtual Machine Instances "
        "(https://azure.microsoft.com/en-us/pricing/reserved-vm-instances/): 'up to 72 "
        "percent compared to pay-as-you-go pricing', Azure pricing as of 2022-02-22",
        "2022-02-22",
    ),
)  # fmt: skip


def build_purchase_options() -> pd.DataFrame:
    """The committed-use discounts, one row per (provider, purchase)."""
    return pd.DataFrame([o.__dict__ for o in PURCHASE_OPTIONS])
