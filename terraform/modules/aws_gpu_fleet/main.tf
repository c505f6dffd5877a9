# One region's GPU capacity on AWS: per pool (workload), a launch template for its
# instance type, an auto-scaling group of at most instance_count (the peak) instances,
# and one scheduled action per step or recurrence of the pool's schedule (schedule.tf).
# Spot pools launch through a mixed-instances policy with 0 % on-demand.

data "aws_ssm_parameter" "ami" {
  count = var.image_id == null ? 1 : 0
  name  = var.ami_ssm_parameter
}

data "aws_vpc" "default" {
  count   = length(var.subnet_ids) == 0 ? 1 : 0
  default = true
}

data "aws_subnets" "default" {
  count = length(var.subnet_ids) == 0 ? 1 : 0

  filter {
    name   = "vpc-id"
    values = [data.aws_vpc.default[0].id]
  }
}

locals {
  image_id   = var.image_id != null ? var.image_id : data.aws_ssm_parameter.ami[0].insecure_value
  subnet_ids = length(var.subnet_ids) > 0 ? var.subnet_ids : data.aws_subnets.default[0].ids

  # AWS names allow more, but keep them short and predictable: prefix-workload.
  names = { for k, p in var.pools : k => substr(lower(replace("${var.name_prefix}-${k}", "/[^A-Za-z0-9-]/", "-")), 0, 60) }

  pool_tags = {
    for k, p in var.pools : k => merge(var.tags, {
      "regionplan:workload"  = p.workload
      "regionplan:kind"      = p.kind
      "regionplan:gpu_model" = p.gpu_model
    })
  }
}

resource "aws_launch_template" "gpu" {
  for_each = var.pools

  name_prefix   = "${local.names[each.key]}-"
  image_id      = local.image_id
  instance_type = each.value.instance_type

  metadata_options {
    http_tokens = "required"
  }

  block_device_mappings {
    device_name = "/dev/sda1"

    ebs {
      volume_size           = var.root_volume_gb
      volume_type           = "gp3"
      delete_on_termination = true
      encrypted             = true
    }
  }

  tag_specifications {
    resource_type = "instance"
    tags          = local.pool_tags[each.key]
  }

  tags = local.pool_tags[each.key]
}

resource "aws_autoscaling_group" "gpu" {
  for_each = var.pools

  name_prefix         = "${local.names[each.key]}-"
  min_size            = 0
  max_size            = each.value.instance_count
  desired_capacity    = local.initial_instances[each.key]
  vpc_zone_identifier = local.subnet_ids

  dynamic "launch_template" {
    for_each = local.spot[each.key] ? [] : [1]

    content {
      id      = aws_launch_template.gpu[each.key].id
      version = aws_launch_template.gpu[each.key].latest_version
    }
  }

  dynamic "mixed_instances_policy" {
    for_each = local.spot[each.key] ? [1] : []

    content {
      instances_distribution {
        on_demand_base_capacity                  = 0
        on_demand_percentage_above_base_capacity = 0
        spot_allocation_strategy                 = "price-capacity-optimized"
      }

      launch_template {
        launch_template_specification {
          launch_template_id = aws_launch_template.gpu[each.key].id
          version            = aws_launch_template.gpu[each.key].latest_version
        }
      }
    }
  }

  dynamic "tag" {
    for_each = local.pool_tags[each.key]

    content {
      key                 = tag.key
      value               = tag.value
      propagate_at_launch = true
    }
  }

  # The scheduled actions move the size; a re-apply must not undo them.
  lifecycle {
    ignore_changes = [desired_capacity, min_size, max_size]
  }
}

resource "aws_autoscaling_schedule" "gpu" {
  for_each = local.scaling_actions

  scheduled_action_name  = "${local.names[each.value.pool]}-${each.value.index}"
  autoscaling_group_name = aws_autoscaling_group.gpu[each.value.pool].name
  min_size               = each.value.instances
  max_size               = each.value.instances
  desired_capacity       = each.value.instances
  start_time             = each.value.start_time
  recurrence             = each.value.recurrence
  time_zone              = each.value.recurrence == null ? null : "Etc/UTC"
}
