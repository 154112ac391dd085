module example.com/vetdemo

go 1.26
