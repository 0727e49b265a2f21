module github.com/rolemine/rolemine

go 1.26.8
