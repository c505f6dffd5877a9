variable "region" {
  description = "AWS region this fleet runs in, e.g. us-east-1. Must equal the region of the aws provider passed to the module."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$", var.region))
    error_message = "The region must be an AWS region code like us-east-1."
  }
}

variable "pools" {
  description = "Map workload => placement (one region's entries of the placement module's `fleets` output; same attributes as the `placements` variable contract). One launch template and one auto-scaling group per pool, sized to instance_count."
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
    error_message = "In aws_gpu_fleet, every purchase must be on_demand, spot or committed."
  }

  validation {
    condition = alltrue([
      for p in values(var.pools) :
      contains(["dated", "daily", "weekly", "month_hour"], p.schedule_kind) &&
      (p.schedule_kind == "dated") == (length(p.steps) > 0) &&
      (p.schedule_kind != "dated") == (length(p.recurrences) > 0) &&
      p.scaling_actions == length(p.steps) + length(p.recurrences)
    ])
    error_message = "In aws_gpu_fleet, schedule_kind must be dated (with steps, no recurrences) or daily, weekly, month_hour (with recurrences, no steps), and scaling_actions must count them."
  }

  validation {
    condition = alltrue(flatten([
      for p in values(var.pools) : [
        for s in p.steps :
        can(regex("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$", s.start_utc)) &&
        s.hours >= 0 && s.instances >= 0 && floor(s.instances) == s.instances && s.instances <= p.instance_count
      ]
    ]))
    error_message = "In aws_gpu_fleet, every step needs start_utc like 2027-01-04T00:00:00Z, hours >= 0 and a whole number of instances between 0 and the placement's instance_count."
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
    error_message = "In aws_gpu_fleet, every recurrence needs a cron \"0 <hour> * <months|*> <weekday|*>\", hour 0-23, months 1-12, hours > 0, weekday names in days and a whole number of instances between 0 and the placement's instance_count."
  }

  validation {
    condition = alltrue([
      for p in values(var.pools) :
      abs(p.instance_hours - sum(concat([0], [for s in p.steps : s.hours * s.instances], [for r in p.recurrences : r.hours_in_horizon * r.instances]))) <= 0.000001 * max(1, p.instance_hours) &&
      abs(p.deployed_cost_usd - p.instance_hours * p.usd_per_instance_hour) <= 0.000001 * max(1, p.deployed_cost_usd)
    ])
    error_message = "In aws_gpu_fleet, every instance_hours must equal its steps' and recurrences' instances x hours, and deployed_cost_usd must equal instance_hours x usd_per_instance_hour."
  }

  validation {
    condition     = alltrue([for p in values(var.pools) : p.cloud == "aws"])
    error_message = "Every pool must be an aws placement."
  }

  validation {
    condition     = alltrue([for p in values(var.pools) : p.instance_count >= 0 && floor(p.instance_count) == p.instance_count])
    error_message = "Every pool's instance_count must be a non-negative whole number."
  }
}

variable "name_prefix" {
  description = "Prefix of every resource name (letters, digits, hyphens; at most 24 characters)."
  type        = string
  default     = "regionplan"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,23}$", var.name_prefix))
    error_message = "The name_prefix must be lower-case letters, digits and hyphens, start with a letter, at most 24 characters."
  }
}

variable "subnet_ids" {
  description = "Subnets (in this region) for the auto-scaling groups. Empty: the default VPC's subnets."
  type        = list(string)
  default     = []
}

variable "image_id" {
  description = "AMI for the GPU instances. Null: the AWS Deep Learning Base AMI (Ubuntu 22.04, NVIDIA driver) published at ami_ssm_parameter."
  type        = string
  default     = null
}

variable "ami_ssm_parameter" {
  description = "Public SSM parameter holding the default AMI id, read when image_id is null."
  type        = string
  default     = "/aws/service/deeplearning/ami/x86_64/base-oss-nvidia-driver-gpu-ubuntu-22.04/latest/ami-id"
}

variable "root_volume_gb" {
  description = "Root EBS volume size per instance, in GB."
  type        = number
  default     = 200

  validation {
    condition     = var.root_volume_gb >= 8
    error_message = "The root_volume_gb must be at least 8."
  }
}

variable "tags" {
  description = "Tags added to every resource and propagated to the instances."
  type        = map(string)
  default     = {}
}
