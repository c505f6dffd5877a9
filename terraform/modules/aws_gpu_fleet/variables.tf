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
    workload          = string
    kind              = string
    cloud             = string
    region            = string
    gpu_model         = string
    instance_type     = string
    gpus_per_instance = number
    instance_count    = number
    gpus              = number
    peak_gpus         = number
    usd_per_hour      = number
    cost_usd          = number
    carbon_tco2e      = number
    water_m3          = number
    energy_mwh        = number
    gpu_hours         = number
  }))

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
