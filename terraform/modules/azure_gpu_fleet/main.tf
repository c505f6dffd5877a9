# One region's GPU capacity on Azure: per pool (workload), a Linux VM scale set of the
# pool's VM size (Spot priority for spot pools) and an autoscale setting whose profiles
# follow the pool's schedule (schedule.tf).

locals {
  create_rg     = var.resource_group_name == null
  create_subnet = var.subnet_id == null
  rg_name       = local.create_rg ? azurerm_resource_group.fleet[0].name : var.resource_group_name
  subnet_id     = local.create_subnet ? azurerm_subnet.fleet[0].id : var.subnet_id

  # Scale set names: at most 64 characters; the sha1 suffix keeps them distinct.
  names = {
    for k, p in var.pools : k => format("%s-%s",
      trimsuffix(substr(replace(lower("${var.name_prefix}-${k}"), "/[^a-z0-9-]/", "-"), 0, 40), "-"),
      substr(sha1(k), 0, 8)
    )
  }

  pool_tags = {
    for k, p in var.pools : k => merge(var.tags, {
      "regionplan-workload"  = p.workload
      "regionplan-kind"      = p.kind
      "regionplan-gpu-model" = p.gpu_model
    })
  }
}

resource "azurerm_resource_group" "fleet" {
  count = local.create_rg ? 1 : 0

  name     = "${var.name_prefix}-gpu-${var.location}"
  location = var.location
  tags     = var.tags
}

resource "azurerm_virtual_network" "fleet" {
  count = local.create_subnet ? 1 : 0

  name                = "${var.name_prefix}-gpu-vnet"
  location            = var.location
  resource_group_name = local.rg_name
  address_space       = [var.address_space]
  tags                = var.tags
}

resource "azurerm_subnet" "fleet" {
  count = local.create_subnet ? 1 : 0

  name                 = "gpu"
  resource_group_name  = local.rg_name
  virtual_network_name = azurerm_virtual_network.fleet[0].name
  address_prefixes     = [cidrsubnet(var.address_space, 4, 0)]
}

resource "azurerm_linux_virtual_machine_scale_set" "gpu" {
  for_each = var.pools

  name                = local.names[each.key]
  location            = var.location
  resource_group_name = local.rg_name
  sku                 = each.value.instance_type
  instances           = local.initial_instances[each.key]
  upgrade_mode        = "Manual"
  priority            = local.spot[each.key] ? "Spot" : "Regular"
  eviction_policy     = local.spot[each.key] ? "Delete" : null
  # Computer names: at most 9 characters of prefix on Linux scale sets of this size.
  computer_name_prefix            = "gpu${substr(sha1(each.key), 0, 6)}"
  admin_username                  = var.admin_username
  disable_password_authentication = true
  tags                            = local.pool_tags[each.key]

  admin_ssh_key {
    username   = var.admin_username
    public_key = var.admin_ssh_public_key
  }

  source_image_reference {
    publisher = var.source_image.publisher
    offer     = var.source_image.offer
    sku       = var.source_image.sku
    version   = var.source_image.version
  }

  os_disk {
    caching              = "ReadWrite"
    storage_account_type = "Premium_LRS"
    disk_size_gb         = var.os_disk_gb
  }

  network_interface {
    name    = "primary"
    primary = true

    ip_configuration {
      name      = "internal"
      primary   = true
      subnet_id = local.subnet_id
    }
  }

  # The autoscale setting moves the instance count; a re-apply must not undo it.
  lifecycle {
    ignore_changes = [instances]
  }
}

resource "azurerm_monitor_autoscale_setting" "gpu" {
  for_each = var.pools

  name                = local.names[each.key]
  resource_group_name = local.rg_name
  location            = var.location
  target_resource_id  = azurerm_linux_virtual_machine_scale_set.gpu[each.key].id
  tags                = local.pool_tags[each.key]

  # Outside every scheduled profile: no instances.
  profile {
    name = "default"

    capacity {
      default = 0
      minimum = 0
      maximum = max(1, each.value.instance_count)
    }
  }

  dynamic "profile" {
    for_each = local.autoscale_profiles[each.key]

    content {
      name = profile.value.name

      capacity {
        default = profile.value.instances
        minimum = profile.value.instances
        maximum = max(1, profile.value.instances)
      }

      dynamic "fixed_date" {
        for_each = profile.value.fixed ? [1] : []

        content {
          timezone = "UTC"
          start    = profile.value.start
          end      = profile.value.end
        }
      }

      dynamic "recurrence" {
        for_each = profile.value.fixed ? [] : [1]

        content {
          timezone = "UTC"
          days     = profile.value.days
          hours    = [profile.value.hour]
          minutes  = [0]
        }
      }
    }
  }
}
