# The contract variables (regionplan, placements) are copied from
# modules/placement/variables.tf and checked equal by tests/terraform/test_contract.py;
# placement.auto.tfvars.json (written by `regionplan tfvars`) sets them.

variable "regionplan" {
  description = "Plan metadata written by regionplan: schema version, scenario, solver status, horizon, prices and plan totals. Informational; totals are over horizon_hours."
  type = object({
    schema_version             = number
    regionplan_version         = string
    scenario_name              = string
    scenario_sha256            = string
    status                     = string
    accounting                 = string
    horizon_start_utc          = string
    horizon_hours              = number
    carbon_price_usd_per_tco2e = number
    water_price_usd_per_m3     = number
    cost_usd                   = number
    usd_per_hour               = number
    carbon_tco2e               = number
    water_m3                   = number
    energy_mwh                 = number
    gpu_hours                  = number
    compute_usd                = number
    deployed_cost_usd          = number
  })

  validation {
    condition     = var.regionplan.schema_version == 1
    error_message = "The regionplan.schema_version must be 1; regenerate the tfvars with a matching regionplan."
  }

  validation {
    condition     = var.regionplan.status == "optimal"
    error_message = "The regionplan.status must be \"optimal\"; only optimal plans are deployed."
  }

  validation {
    condition     = var.regionplan.horizon_hours > 0
    error_message = "The regionplan.horizon_hours must be positive."
  }
}

variable "placements" {
  description = "One entry per workload x cloud x region, keyed \"<cloud>/<region>/<workload>\" (with \"/<purchase>/<instance_type>\" appended when a workload is bought two ways in one region). instance_count instances of instance_type (gpus_per_instance GPUs of gpu_model each) run the workload; gpus = instance_count * gpus_per_instance. peak_gpus, usd_per_hour, cost_usd, carbon_tco2e, water_m3, energy_mwh and gpu_hours are the plan's figures, informational (totals over the plan horizon, $/h averaged over it)."
  type = map(object({
    workload              = string
    kind                  = string
    cloud                 = string
    region                = string
    gpu_model             = string
    instance_type         = string
    gpus_per_instance     = number
    instance_count        = number
    gpus                  = number
    peak_gpus             = number
    usd_per_hour          = number
    cost_usd              = number
    carbon_tco2e          = number
    water_m3              = number
    energy_mwh            = number
    gpu_hours             = number
    purchase              = string
    usd_per_instance_hour = number
    schedule_kind         = string
    scaling_actions       = number
    instance_hours        = number
    deployed_cost_usd     = number
    steps = list(object({
      start_utc = string
      hours     = number
      instances = number
    }))
    recurrences = list(object({
      cron             = string
      months           = list(number)
      days             = list(string)
      hour             = number
      hours            = number
      instances        = number
      hours_in_horizon = number
    }))
  }))

  validation {
    condition     = alltrue([for p in values(var.placements) : contains(["on_demand", "spot", "committed"], p.purchase)])
    error_message = "In placement, every purchase must be on_demand, spot or committed."
  }

  validation {
    condition = alltrue([
      for p in values(var.placements) :
      contains(["dated", "daily", "weekly", "month_hour"], p.schedule_kind) &&
      (p.schedule_kind == "dated") == (length(p.steps) > 0) &&
      (p.schedule_kind != "dated") == (length(p.recurrences) > 0) &&
      p.scaling_actions == length(p.steps) + length(p.recurrences)
    ])
    error_message = "In placement, schedule_kind must be dated (with steps, no recurrences) or daily, weekly, month_hour (with recurrences, no steps), and scaling_actions must count them."
  }

  validation {
    condition = alltrue(flatten([
      for p in values(var.placements) : [
        for s in p.steps :
        can(regex("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$", s.start_utc)) &&
        s.hours >= 0 && s.instances >= 0 && floor(s.instances) == s.instances && s.instances <= p.instance_count
      ]
    ]))
    error_message = "In placement, every step needs start_utc like 2027-01-04T00:00:00Z, hours >= 0 and a whole number of instances between 0 and the placement's instance_count."
  }

  validation {
    condition = alltrue(flatten([
      for p in values(var.placements) : [
        for r in p.recurrences :
        can(regex("^0 [0-9]{1,2} \\* ([0-9]{1,2}(,[0-9]{1,2})*|\\*) ([0-6]|\\*)$", r.cron)) &&
        r.hour >= 0 && r.hour <= 23 && alltrue([for m in r.months : m >= 1 && m <= 12]) && r.hours > 0 &&
        r.instances >= 0 && floor(r.instances) == r.instances && r.instances <= p.instance_count &&
        length(r.days) > 0 && alltrue([for d in r.days : contains(["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"], d)])
      ]
    ]))
    error_message = "In placement, every recurrence needs a cron \"0 <hour> * <months|*> <weekday|*>\", hour 0-23, months 1-12, hours > 0, weekday names in days and a whole number of instances between 0 and the placement's instance_count."
  }

  validation {
    condition = alltrue([
      for p in values(var.placements) :
      abs(p.instance_hours - sum(concat([0], [for s in p.steps : s.hours * s.instances], [for r in p.recurrences : r.hours_in_horizon * r.instances]))) <= 0.000001 * max(1, p.instance_hours) &&
      abs(p.deployed_cost_usd - p.instance_hours * p.usd_per_instance_hour) <= 0.000001 * max(1, p.deployed_cost_usd)
    ])
    error_message = "In placement, every instance_hours must equal its steps' and recurrences' instances x hours, and deployed_cost_usd must equal instance_hours x usd_per_instance_hour."
  }

  validation {
    condition     = alltrue([for p in values(var.placements) : contains(["aws", "gcp", "azure"], p.cloud)])
    error_message = "Every placement's cloud must be one of aws, gcp, azure."
  }

  validation {
    condition = alltrue([
      for p in values(var.placements) : can(regex(lookup({
        aws   = "^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$"
        gcp   = "^[a-z]+-[a-z]+[0-9]{1,2}$"
        azure = "^[a-z][a-z0-9]{2,39}$"
      }, p.cloud, "^$"), p.region))
    ])
    error_message = "Every placement's region must match its cloud's format: AWS like us-east-1, GCP like europe-west4, Azure like westeurope (lower-case ARM name)."
  }

  validation {
    condition = alltrue([for k, p in var.placements : k == "${p.cloud}/${p.region}/${p.workload}" || try(
      substr(k, 0, length("${p.cloud}/${p.region}/${p.workload}/")) == "${p.cloud}/${p.region}/${p.workload}/" &&
      substr(k, max(0, length(k) - length("/${p.instance_type}")), -1) == "/${p.instance_type}" &&
      length(k) > length("${p.cloud}/${p.region}/${p.workload}/${p.instance_type}") + 1
    , false)])
    error_message = "Every placement key must be \"<cloud>/<region>/<workload>\" of its own entry, or \"<cloud>/<region>/<workload>/<purchase>/<instance_type>\" when a workload is bought two ways in one region."
  }

  validation {
    condition     = alltrue([for p in values(var.placements) : can(regex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$", p.workload))])
    error_message = "Every workload name must match ^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$ (letters, digits, _ . -; at most 63 characters)."
  }

  validation {
    condition     = alltrue([for p in values(var.placements) : contains(["training", "inference"], p.kind)])
    error_message = "Every placement's kind must be training or inference."
  }

  validation {
    condition = alltrue([
      for p in values(var.placements) : contains([
        "H100", "H100-NVL", "H200", "B200", "A100-40GB", "A100-80GB", "L40S", "V100", "V100-32GB", "T4", "A10", "A10G", "L4",
      ], p.gpu_model)
    ])
    error_message = "Every placement's gpu_model must be a known GPU model: H100, H100-NVL, H200, B200, A100-40GB, A100-80GB, L40S, V100, V100-32GB, T4, A10, A10G, L4."
  }

  validation {
    condition     = alltrue([for p in values(var.placements) : can(regex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$", p.instance_type))])
    error_message = "Every placement's instance_type must be a cloud instance type name (letters, digits, _ . -)."
  }

  validation {
    condition = alltrue([
      for p in values(var.placements) :
      p.instance_count >= 0 && floor(p.instance_count) == p.instance_count
    ])
    error_message = "Every placement's instance_count must be a non-negative whole number."
  }

  validation {
    condition = alltrue([
      for p in values(var.placements) :
      p.gpus_per_instance >= 1 && floor(p.gpus_per_instance) == p.gpus_per_instance
    ])
    error_message = "Every placement's gpus_per_instance must be a whole number of at least 1."
  }

  validation {
    condition     = alltrue([for p in values(var.placements) : p.gpus == p.instance_count * p.gpus_per_instance])
    error_message = "Every placement's gpus must equal instance_count * gpus_per_instance."
  }

  validation {
    condition = alltrue([
      for p in values(var.placements) :
      p.peak_gpus >= 0 && p.usd_per_hour >= 0 && p.cost_usd >= 0 &&
      p.carbon_tco2e >= 0 && p.water_m3 >= 0 && p.energy_mwh >= 0 && p.gpu_hours >= 0
    ])
    error_message = "Every placement's figures (peak_gpus, usd_per_hour, cost_usd, carbon_tco2e, water_m3, energy_mwh, gpu_hours) must be non-negative."
  }
}

variable "name_prefix" {
  description = "Prefix of every cloud resource name (lower-case letters, digits, hyphens; at most 24 characters)."
  type        = string
  default     = "regionplan"
}

variable "tags" {
  description = "Tags on every AWS and Azure resource."
  type        = map(string)
  default     = {}
}

variable "aws_subnet_ids" {
  description = "Map AWS region => subnet ids for its auto-scaling groups. A region not listed uses its default VPC's subnets."
  type        = map(list(string))
  default     = {}
}

variable "gcp_project_id" {
  description = "GCP project for every GCP region's provider and fleet. Required when the plan uses GCP."
  type        = string
  default     = null
}

variable "gcp_network" {
  description = "GCP VPC network (name or self link) for the instances."
  type        = string
  default     = "default"
}

variable "gcp_labels" {
  description = "Labels on every GCP instance (lower-case keys and values)."
  type        = map(string)
  default     = {}
}

variable "azure_subscription_id" {
  description = "Azure subscription for every Azure region's provider. Null: the ARM_SUBSCRIPTION_ID environment variable."
  type        = string
  default     = null
}

variable "azure_admin_ssh_public_key" {
  description = "OpenSSH public key of the administrator on Azure scale sets. Required when the plan uses Azure."
  type        = string
  default     = null
}
