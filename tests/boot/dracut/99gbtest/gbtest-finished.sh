#!/bin/sh
[ -e /run/gbtest-done ]
