variable "project_id" {
  description = "GCP project that owns the fleet."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "The project_id must be a GCP project id (6-30 lower-case letters, digits, hyphens)."
  }
}

variable "region" {
  description = "GCP region this fleet runs in, e.g. europe-west4. Must equal the region of the google provider passed to the module."
  type        = string

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]{1,2}$", var.region))
    error_message = "The region must be a GCP region name like europe-west4."
  }
}

variable "pools" {
  description = "Map workload => placement (one region's entries of the placement module's `fleets` output; same attributes as the `placements` variable contract). One instance template and one regional managed instance group per pool, sized to instance_count."
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
    condition     = alltrue([for p in values(var.pools) : contains(["on_demand", "spot", "committed"], p.purchase)])
    error_message = "In gcp_gpu_fleet, every purchase must be on_demand, spot or committed."
  }

  validation {
    condition = alltrue([
      for p in values(var.pools) :
      contains(["dated", "daily", "weekly", "month_hour"], p.schedule_kind) &&
      (p.schedule_kind == "dated") == (length(p.steps) > 0) &&
      (p.schedule_kind != "dated") == (length(p.recurrences) > 0) &&
      p.scaling_actions == length(p.steps) + length(p.recurrences)
    ])
    error_message = "In gcp_gpu_fleet, schedule_kind must be dated (with steps, no recurrences) or daily, weekly, month_hour (with recurrences, no steps), and scaling_actions must count them."
  }

  validation {
    condition = alltrue(flatten([
      for p in values(var.pools) : [
        for s in p.steps :
        can(regex("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$", s.start_utc)) &&
        s.hours >= 0 && s.instances >= 0 && floor(s.instances) == s.instances && s.instances <= p.instance_count
      ]
    ]))
    error_message = "In gcp_gpu_fleet, every step needs start_utc like 2027-01-04T00:00:00Z, hours >= 0 and a whole number of instances between 0 and the placement's instance_count."
  }

  validation {
    condition = alltrue(flatten([
      for p in values(var.pools) : [
        for r in p.recurrences :
        can(regex("^0 [0-9]{1,2} \\* ([0-9]{1,2}(,[0-9]{1,2})*|\\*) ([0-6]|\\*)$", r.cron)) &&
        r.hour >= 0 && r.hour <= 23 && alltrue([for m in r.months : m >= 1 && m <= 12]) && r.hours > 0 &&
        r.instances >= 0 && floor(r.instances) == r.instances && r.instances <= p.instance_count &&
        length(r.days) > 0 && alltrue([for d in r.days : contains(["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"], d)])
      ]
    ]))
    error_message = "In gcp_gpu_fleet, every recurrence needs a cron \"0 <hour> * <months|*> <weekday|*>\", hour 0-23, months 1-12, hours > 0, weekday names in days and a whole number of instances between 0 and the placement's instance_count."
  }

  validation {
    condition = alltrue([
      for p in values(var.pools) :
      abs(p.instance_hours - sum(concat([0], [for s in p.steps : s.hours * s.instances], [for r in p.recurrences : r.hours_in_horizon * r.instances]))) <= 0.000001 * max(1, p.instance_hours) &&
      abs(p.deployed_cost_usd - p.instance_hours * p.usd_per_instance_hour) <= 0.000001 * max(1, p.deployed_cost_usd)
    ])
    error_message = "In gcp_gpu_fleet, every instance_hours must equal its steps' and recurrences' instances x hours, and deployed_cost_usd must equal instance_hours x usd_per_instance_hour."
  }

  validation {
    condition     = alltrue([for p in values(var.pools) : p.cloud == "gcp"])
    error_message = "Every pool must be a gcp placement."
  }

  validation {
    condition     = alltrue([for p in values(var.pools) : p.instance_count >= 0 && floor(p.instance_count) == p.instance_count])
    error_message = "Every pool's instance_count must be a non-negative whole number."
  }

  validation {
    # N1 machine types carry attached accelerators; only these models attach to N1.
    condition = alltrue([
      for p in values(var.pools) :
      !can(regex("^n1-", p.instance_type)) || contains(["T4", "V100", "V100-32GB"], p.gpu_model)
    ])
    error_message = "An n1-* machine type can only carry T4 or V100 GPUs."
  }
}

variable "name_prefix" {
  description = "Prefix of every resource name (lower-case letters, digits, hyphens; at most 24 characters)."
  type        = string
  default     = "regionplan"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,23}$", var.name_prefix))
    error_message = "The name_prefix must be lower-case letters, digits and hyphens, start with a letter, at most 24 characters."
  }
}

variable "network" {
  description = "VPC network (name or self link) for the instances."
  type        = string
  default     = "default"
}

variable "subnetwork" {
  description = "Subnetwork in this region (name or self link). Null: the network's auto-mode subnet."
  type        = string
  default     = null
}

variable "source_image" {
  description = "Boot image (self link or family path) with the NVIDIA driver."
  type        = string
  default     = "projects/deeplearning-platform-release/global/images/family/common-cu124-debian-11-py310"
}

variable "boot_disk_gb" {
  description = "Boot disk size per instance, in GB."
  type        = number
  default     = 200

  validation {
    condition     = var.boot_disk_gb >= 10
    error_message = "The boot_disk_gb must be at least 10."
  }
}

variable "labels" {
  description = "Labels on every instance (GCP label rules: lower-case keys and values)."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k, v in var.labels : can(regex("^[a-z][a-z0-9_-]{0,62}$", k)) && can(regex("^[a-z0-9_-]{0,63}$", v))])
    error_message = "Every label key must match ^[a-z][a-z0-9_-]{0,62}$ and every value ^[a-z0-9_-]{0,63}$."
  }
}
