module example.com/auditdemo

go 1.26
