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
