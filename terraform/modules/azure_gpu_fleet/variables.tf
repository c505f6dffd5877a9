variable "location" {
  description = "Azure region (lower-case ARM name) this fleet runs in, e.g. westeurope."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{2,39}$", var.location))
    error_message = "The location must be a lower-case Azure region name like westeurope or eastus2."
  }
}

variable "pools" {
  description = "Map workload => placement (one region's entries of the placement module's `fleets` output; same attributes as the `placements` variable contract). One VM scale set per pool, sized to instance_count."
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
    error_message = "In azure_gpu_fleet, every purchase must be on_demand, spot or committed."
  }

  validation {
    condition = alltrue([
      for p in values(var.pools) :
      contains(["dated", "daily", "weekly", "month_hour"], p.schedule_kind) &&
      (p.schedule_kind == "dated") == (length(p.steps) > 0) &&
      (p.schedule_kind != "dated") == (length(p.recurrences) > 0) &&
      p.scaling_actions == length(p.steps) + length(p.recurrences)
    ])
    error_message = "In azure_gpu_fleet, schedule_kind must be dated (with steps, no recurrences) or daily, weekly, month_hour (with recurrences, no steps), and scaling_actions must count them."
  }

  validation {
    condition = alltrue(flatten([
      for p in values(var.pools) : [
        for s in p.steps :
        can(regex("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$", s.start_utc)) &&
        s.hours >= 0 && s.instances >= 0 && floor(s.instances) == s.instances && s.instances <= p.instance_count
      ]
    ]))
    error_message = "In azure_gpu_fleet, every step needs start_utc like 2027-01-04T00:00:00Z, hours >= 0 and a whole number of instances between 0 and the placement's instance_count."
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
    error_message = "In azure_gpu_fleet, every recurrence needs a cron \"0 <hour> * <months|*> <weekday|*>\", hour 0-23, months 1-12, hours > 0, weekday names in days and a whole number of instances between 0 and the placement's instance_count."
  }

  validation {
    condition = alltrue([
      for p in values(var.pools) :
      abs(p.instance_hours - sum(concat([0], [for s in p.steps : s.hours * s.instances], [for r in p.recurrences : r.hours_in_horizon * r.instances]))) <= 0.000001 * max(1, p.instance_hours) &&
      abs(p.deployed_cost_usd - p.instance_hours * p.usd_per_instance_hour) <= 0.000001 * max(1, p.deployed_cost_usd)
    ])
    error_message = "In azure_gpu_fleet, every instance_hours must equal its steps' and recurrences' instances x hours, and deployed_cost_usd must equal instance_hours x usd_per_instance_hour."
  }

  validation {
    condition     = alltrue([for p in values(var.pools) : p.cloud == "azure"])
    error_message = "Every pool must be an azure placement."
  }

  validation {
    condition     = alltrue([for p in values(var.pools) : p.instance_count >= 0 && floor(p.instance_count) == p.instance_count])
    error_message = "Every pool's instance_count must be a non-negative whole number."
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

variable "resource_group_name" {
  description = "Existing resource group for the fleet. Null: the module creates <name_prefix>-gpu-<location>."
  type        = string
  default     = null
}

variable "subnet_id" {
  description = "Existing subnet id (in this location) for the scale sets. Null: the module creates a virtual network with one subnet."
  type        = string
  default     = null
}

variable "address_space" {
  description = "CIDR of the virtual network the module creates when subnet_id is null."
  type        = string
  default     = "10.64.0.0/16"

  validation {
    condition     = can(cidrhost(var.address_space, 0))
    error_message = "The address_space must be a CIDR block like 10.64.0.0/16."
  }
}

variable "admin_username" {
  description = "Administrator user name on the instances."
  type        = string
  default     = "regionplan"
}

variable "admin_ssh_public_key" {
  description = "OpenSSH public key of the administrator (password log-in is disabled)."
  type        = string

  validation {
    condition     = can(regex("^(ssh-(rsa|ed25519)|ecdsa-sha2-nistp(256|384|521)) ", var.admin_ssh_public_key))
    error_message = "The admin_ssh_public_key must be an OpenSSH public key (ssh-rsa, ssh-ed25519 or ecdsa-sha2-*)."
  }
}

variable "source_image" {
  description = "Marketplace image with the NVIDIA driver (publisher, offer, sku, version)."
  type = object({
    publisher = string
    offer     = string
    sku       = string
    version   = string
  })
  default = {
    publisher = "microsoft-dsvm"
    offer     = "ubuntu-hpc"
    sku       = "2204"
    version   = "latest"
  }
}

variable "os_disk_gb" {
  description = "OS disk size per instance, in GB."
  type        = number
  default     = 200

  validation {
    condition     = var.os_disk_gb >= 30
    error_message = "The os_disk_gb must be at least 30."
  }
}

variable "tags" {
  description = "Tags on every resource."
  type        = map(string)
  default     = {}
}
